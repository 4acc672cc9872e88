"""Answer extraction and cheap normalisation, all pure Python (no sympy, no math-verify).

Answer region of a completion:
  1. the last ``<answer>...</answer>`` if present (an ``<answer>`` opened after the last ``</answer>``
     means the completion was cut off: truncated);
  2. else the text after the last ``</think>``;
  3. else, if ``<think>`` was opened and never closed: truncated, no answer;
  4. else the whole text.
Inside the region the last non-empty ``\\boxed{...}`` (or ``\\fbox``) wins; without one, "#### X",
"answer is X", a short region read whole, the last math segment, then the last number.
"""

from __future__ import annotations

import re
from fractions import Fraction

from r1cli.rewards.words import tokens

THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE = "<think>", "</think>", "<answer>", "</answer>"


def completion_text(completion) -> str:
    """Plain text of a completion: a string, or chat messages (the last assistant message's content)."""
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content(completion.get("content"))
    if isinstance(completion, (list, tuple)):
        msgs = [m for m in completion if isinstance(m, dict)]
        for m in reversed(msgs):
            if m.get("role", "assistant") == "assistant":
                return _content(m.get("content"))
        return _content(msgs[-1].get("content")) if msgs else ""
    return str(completion)


def _content(content) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal parts: [{"type": "text", "text": ...}]
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def answer_region(text: str) -> tuple[str | None, bool]:
    """(region, truncated). region is None when there is no answer to read."""
    a_open, a_close = text.rfind(ANSWER_OPEN), text.rfind(ANSWER_CLOSE)
    if a_open > a_close:
        return None, True
    if a_close >= 0:
        start = text.rfind(ANSWER_OPEN, 0, a_close)
        if start >= 0:
            return text[start + len(ANSWER_OPEN) : a_close], False
        text = text[:a_close]  # a stray closing tag: read what precedes it
    t_close = text.rfind(THINK_CLOSE)
    if t_close >= 0:
        return text[t_close + len(THINK_CLOSE) :], False
    if THINK_OPEN in text:
        return None, True
    return text, False


def think_region(text: str) -> str:
    """The chain of thought: inside <think>...</think> (or up to </think> when <think> was prefilled); else all."""
    close = text.find(THINK_CLOSE)
    start = text.find(THINK_OPEN)
    if start >= 0 and (close < 0 or start < close):
        return text[start + len(THINK_OPEN) : close if close >= 0 else len(text)]
    if close >= 0:
        return text[:close]
    return text


_BOXED = re.compile(r"\\(?:boxed|fbox)")


def last_boxed(text: str) -> str | None:
    """Content of the last complete, non-empty \\boxed{...} (nested braces allowed) or \\boxed X. An empty
    box is skipped: models copy the prompt's "put it in \\boxed{}" and then state the answer elsewhere."""
    starts = [m.end() for m in _BOXED.finditer(text)]
    for pos in reversed(starts):
        i = pos
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == "{":
            content = _braced(text, i)
            if content is not None and content.strip():
                return content.strip()
        elif i > pos:  # "\boxed 5": one token
            m = re.match(r"[^\s$,;]+", text[i:])
            if m:
                return m.group(0).rstrip(".")
    return None


def _braced(text: str, i: int) -> str | None:
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
        j += 1
    return None


_MATH_SEG = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|\$(.+?)\$", re.S)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")
_PROSE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}[\s,]+[A-Za-z]{2,}")
_ANSWER_IS = re.compile(r"answer\s*(?:is|:)\s*:?\s*(.+?)(?:\.\s|\.?\s*$|\n)", re.I)


def final_answer(region: str) -> str | None:
    boxed = last_boxed(region)
    if boxed is not None:
        return boxed
    r = region.strip()
    if not r:
        return None
    hashes = r.rfind("####")
    if hashes >= 0:
        tail = r[hashes + 4 :].strip().splitlines()
        if tail and tail[0].strip():
            return _trim(tail[0])
    said = list(_ANSWER_IS.finditer(r))
    if said:
        return _trim(said[-1].group(1))
    if len(r) <= 80 and "\n" not in r and not _PROSE.search(r):
        return _trim(r)
    segs = list(_MATH_SEG.finditer(r))
    if segs:
        return _trim(next(g for g in segs[-1].groups() if g is not None))
    nums = _NUMBER.findall(r)
    if nums:
        return nums[-1].rstrip(",")
    return _trim(r)


def _trim(s: str) -> str:
    s = s.strip()
    if s.startswith("$$") and s.endswith("$$") and len(s) > 4:
        s = s[2:-2]
    elif s.startswith("$") and s.endswith("$") and len(s) > 2 and not s.startswith("\\$"):
        s = s[1:-1]
    elif s.startswith("\\(") and s.endswith("\\)") or s.startswith("\\[") and s.endswith("\\]"):
        s = s[2:-2]
    return s.strip().rstrip(".").strip()


def extract_answer(text: str) -> tuple[str | None, bool]:
    """(final answer string or None, truncated). Truncated completions have no answer."""
    region, truncated = answer_region(completion_text(text))
    if truncated or region is None:
        return None, truncated
    return final_answer(region), False


# ---------------------------------------------------------------- normalisation (caller-side fast path)

_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+)(?![\d,])")
_WRAPPERS = re.compile(r"\\(?:text|textbf|mathrm|mathbf|textnormal)\s*\{([^{}]*)\}")
_NOISE = re.compile(r"\\[,!;: ]|\\displaystyle|\\left|\\right|\\\$|\s+")
_INT_DEC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_SLASH = re.compile(r"([+-]?\d+)/(\d+)")
_FRAC = re.compile(r"([+-]?)\\[dt]?frac(?:\{([+-]?\d+)\}|(\d))(?:\{(\d+)\}|(\d))")


def strip_thousands(s: str) -> str:
    """1,000 -> 1000, except inside brackets, where (1,000) may be a tuple."""
    s = s.replace("{,}", ",")
    if any(c in s for c in "()[]") or "\\{" in s:
        return s
    return _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), s)


def clean_gold(gold) -> str:
    """A gold answer as a string: '#### N' keeps N; a full solution keeps its last \\boxed{}."""
    g = "" if gold is None else str(gold)
    if "####" in g:
        g = g.rsplit("####", 1)[1]
    elif "\\boxed" in g or "\\fbox" in g:
        g = last_boxed(g) or g
    return g.strip()


def _bare(s: str) -> str:
    s = strip_thousands(s.strip())
    for _ in range(3):
        s = _WRAPPERS.sub(r"\1", s)
    s = _NOISE.sub("", s).replace("$", "")
    if s.startswith("\\boxed{") and s.endswith("}"):
        s = s[7:-1]
    return s.rstrip(".")


def as_number(s: str | None) -> Fraction | None:
    """Exact value of a plain number (integer, decimal, a/b, \\frac{a}{b}), else None. '025' -> 25."""
    if s is None or len(s) > 200:
        return None
    b = _bare(s)
    try:
        if _INT_DEC.fullmatch(b):
            return Fraction(b)
        m = _SLASH.fullmatch(b)
        if m and int(m.group(2)) != 0:
            return Fraction(int(m.group(1)), int(m.group(2)))
        m = _FRAC.fullmatch(b)
        if m:
            num, den = int(m.group(2) or m.group(3)), int(m.group(4) or m.group(5))
            if den != 0:
                return Fraction(-num if m.group(1) == "-" else num, den)
    except (ValueError, ZeroDivisionError):
        return None
    return None


_TEXT_BOX = re.compile(r"\\(?:text\w*|mathrm|mbox|operatorname)\s*\{[^{}]*\}|\\(?:begin|end)\s*\{[^{}]*\}")
_PHRASE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}\s+[A-Za-z]{2,}(?![A-Za-z])")
_NOTATION = re.compile(r"[0-9A-Za-z\u0370-\u03FF\\]")


def prose_words(gold: str) -> list[str]:
    """Words of a gold answer that read as natural language rather than notation: outside LaTeX text
    boxes (`\\text{Evelyn}` is a deliberate word answer) and environment names, a Latin word of four or
    more letters ("forty"), two Latin words of two or more letters in a row ("is it"), or a word of a
    non-Latin, non-Greek script ("四十二"). A lone short run such as "xy" or "abc" is read as a product
    of variables, as a math gold would mean it."""
    text = _TEXT_BOX.sub(" ", gold)
    out = [w for w, script in tokens(text)
           if script == "latin" and len(w) >= 4 or script not in ("latin", "greek", "number")]
    for m in _PHRASE.finditer(text):
        out.extend(w for w in m.group().split() if len(w) < 4)
    return out


def has_notation(gold: str) -> bool:
    """Whether a gold holds anything a math answer is made of (a digit, a Latin or Greek letter, a LaTeX
    command); "?" or "..." does not."""
    return _NOTATION.search(gold) is not None


_LETTER = re.compile(r"\(?([A-E])\)?\.?")
_LETTER_PREFIX = re.compile(r"\(([A-E])\)")


def mc_letter(s: str | None, prefix: bool = False) -> str | None:
    """Multiple-choice letter of '(B)', 'B', '\\text{(B)}', '\\textbf{B}'; prefix=True also reads '(B) 42'."""
    if s is None or len(s) > 200:
        return None
    b = _bare(s).replace("*", "")
    m = _LETTER.fullmatch(b)
    if m:
        return m.group(1)
    if prefix:
        m = _LETTER_PREFIX.match(b)
        if m:
            return m.group(1)
    return None


def fast_compare(gold: str, answer: str) -> float | None:
    """1.0/0.0 when the pair is decidable without sympy (same text, plain numbers, option letters), else None."""
    if " ".join(gold.split()) == " ".join(answer.split()):
        return 1.0
    g = as_number(gold)
    if g is not None:
        a = as_number(answer)
        if a is not None:
            return float(g == a)
        return None
    gl = mc_letter(gold)
    if gl is not None:
        al = mc_letter(answer, prefix=True)
        if al is not None:
            return float(gl == al)
    return None
