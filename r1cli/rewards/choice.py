"""Multiple choice: the `choice` reward, right (1.0) when the model commits to the gold letter.

A row is multiple choice when it carries its options (`choices`: the option texts in letter order, or a
{letter: text} mapping) or names this reward. Its gold is a letter A-J ('C', '(C)'), or the text of one option.

The model's answer is read from the answer region only (r1cli.rewards.extract.answer_region: after </think>, or
inside <answer>), so letters weighed in the reasoning do not count. In that region the last commitment wins:
  - a \\boxed{} holding a letter (`\\boxed{C}`, `\\boxed{\\text{(C)}}`, `\\boxed{C) 42}`);
  - a declaration: `Answer: C`, `The answer is (C).`, `The correct option is **B**`, `Final choice: C`,
    `I choose C`, `Option C is correct`;
  - otherwise a region that is nothing but one option: `C`, `(C)`, `**C**`, `C) 42`, `Option C`;
  - otherwise the last letter written as an option label, `(C)`, `**C**`, `C)` at a line's start.
A commitment naming two different letters (`Answer: B or C`, `\\boxed{A, C}`) is no answer, and so is a region
without any: both are wrong, and neither votes in cons@K.
"""

from __future__ import annotations

import re

from r1cli.rewards.extract import _braced, answer_region, completion_text
from r1cli.rewards.registry import register

LETTERS = "ABCDEFGHIJ"
AMBIGUOUS = "?"  # a commitment that names two different letters

_L = f"[{LETTERS}]"
# Markup around a letter that changes nothing: emphasis, LaTeX text wrappers, math delimiters.
_MARKUP = re.compile(r"\\(?:text|textbf|mathrm|mathbf|textnormal|mathit)\s*\{([^{}]*)\}|\*\*|__|\$|`")
# A letter standing alone: not part of a word, a number or a contraction ("I'm", "A's").
_ALONE = rf"(?<![A-Za-z0-9'’])[(\[{{]?({_L})[)\]}}]?(?![A-Za-z0-9'’])"
# Keywords in any case; the letter itself in capitals, so "the answer is a function" commits to nothing.
_DECLARED = re.compile(
    r"(?i:(?:(?:final|correct|right|best)\s+)?(?:answer|option|choice)"
    r"(?:\s+(?:is|would\s+be|will\s+be|should\s+be|must\s+be))?(?:\s+(?:therefore|thus|then|clearly))?"
    r"\s*[:=\-–—]?\s*(?:is\s+)?(?:option\s+|choice\s+|letter\s+)?)" + _ALONE
    + r"|(?i:I\s+(?:would\s+|will\s+|'ll\s+)?(?:choose|pick|select|go\s+with)\s+(?:option\s+|choice\s+)?)"
    + _ALONE
    + r"|(?:(?i:option|choice)\s+)?" + _ALONE + r"(?i:\s+is\s+(?:the\s+)?(?:correct|right|best|answer))")
# Two letters offered together: "B or C", "(A) and (C)", "A/C", "A, C".
_PAIR = re.compile(_ALONE + r"\s*(?:,|/|&|(?i:\bor\b|\band\b))\s*(?i:option\s+)?" + _ALONE)
_WHOLE = re.compile(rf"(?i:option|choice|answer)?\s*[:.]?\s*\(?({_L})(?:\)|\.|:|\s*$)(?:\s.*)?", re.S)
# Another option offered in the same sentence ("Answer: A) 2, B) 3"), unless it is ruled out ("not (B)")
_OTHER_LABEL = re.compile(rf"(?<!not )\(({_L})\)|(?<!not \()(?<![A-Za-z0-9])({_L})\)")
# "(b)" as an option label (not "f(b)"), read as "(B)"
_LOWER_LABEL = re.compile(r"(?<![A-Za-z0-9])\(([a-j])\)")
_LABEL = re.compile(rf"\(({_L})\)|\*\*\(?({_L})\)?\*\*|(?m:^\s*({_L})\))")


def gold_letter(gold, choices=None) -> str | None:
    """The gold's letter: 'C' or '(C)', or the text of one of the options; None when it is neither."""
    text = _MARKUP.sub(lambda m: m.group(1) or "", str(gold or "")).strip().strip("().").strip()
    if len(text) == 1 and text.upper() in LETTERS:
        return text.upper()
    options = option_texts(choices)
    for letter, option in zip(LETTERS, options, strict=False):
        if str(option).strip() == str(gold or "").strip():
            return letter
    return None


def option_texts(choices) -> list[str]:
    """Option texts in letter order from a list or a {letter: text} mapping; [] for no options."""
    if isinstance(choices, dict):
        return [str(choices[k]) for k in sorted(choices)]
    return [str(c) for c in choices] if isinstance(choices, (list, tuple)) else []


def _letter_in(fragment: str) -> str | None:
    """The one letter a committed fragment names ('C', '(C) 42', 'C. 42'); AMBIGUOUS for two; None for none."""
    text = fragment.strip().rstrip(".").strip()
    if _PAIR.search(text):
        return AMBIGUOUS
    m = _WHOLE.fullmatch(text)
    return m.group(1) if m else None


def _boxed(region: str) -> list[tuple[int, str]]:
    found = []
    for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", region):
        content = _braced(region, m.end() - 1)
        if content is not None:
            letter = _letter_in(_MARKUP.sub(lambda g: g.group(1) or "", content))
            if letter is not None:
                found.append((m.start(), letter))
    return found


def _declared(region: str) -> list[tuple[int, str]]:
    found = []
    for m in _DECLARED.finditer(region):
        letter = next(g for g in m.groups() if g is not None)
        # the rest of the sentence may offer a second letter ("Answer: B or C")
        rest = re.split(r"(?<=[.!?])\s|\n", region[m.start(m.lastindex):], maxsplit=1)[0]
        others = {m2.group(1) or m2.group(2) for m2 in _OTHER_LABEL.finditer(rest)} - {letter}
        found.append((m.start(), AMBIGUOUS if _PAIR.match(rest) or others else letter))
    return found


def choice_letter(text) -> tuple[str | None, bool]:
    """(the committed letter or None, truncated), read as the module docstring says."""
    region, truncated = answer_region(completion_text(text))
    if truncated or region is None:
        return None, truncated
    region = _LOWER_LABEL.sub(lambda m: f"({m.group(1).upper()})", region)
    plain = _MARKUP.sub(lambda m: m.group(1) or "", region)
    commitments = sorted(_boxed(region) + _declared(plain))
    labels = [next(g for g in m.groups() if g) for m in _LABEL.finditer(region)]
    if commitments:
        letter = commitments[-1][1]
    elif len(set(labels)) <= 1 and len(plain.strip()) <= 200 and "\n" not in plain.strip() and _letter_in(plain):
        letter = _letter_in(plain)  # the region is one option: "C", "(C)", "C) 42"
    else:
        letter = labels[-1] if labels else None
    return (None if letter == AMBIGUOUS else letter), False


@register("choice", correctness=True, extract=choice_letter)
def choice_reward(completions, answer=None, choices=None, **kwargs) -> list[float | None]:
    """1.0 when a completion commits to its row's gold letter, 0.0 otherwise, None without a gold letter."""
    golds = answer if answer is not None else [None] * len(completions)
    options = choices if choices is not None else [None] * len(completions)
    out: list[float | None] = []
    for completion, gold, opts in zip(completions, golds, options, strict=True):
        want = gold_letter(gold, opts)
        if want is None:  # no gold letter: the row cannot be scored
            out.append(None)
            continue
        got, _ = choice_letter(completion)
        out.append(float(got == want))
    return out
