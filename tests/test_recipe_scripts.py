"""Every chain script under recipes/ (recipes/*/*.sh with a #! line; a file without one, like recipes/tiny/arith.sh,
is sourced by the scripts, not run) calls real stages with real options, without running it:
the tiny demos and the at-scale chains alike, so a renamed option or a moved recipe breaks a test, not a
GPU job hours into a chain.

For each stage call in a script, the check is that the stage is registered, that every flag given is one of
that stage's options (as the CLI builds them from the stage's Config, with --config/-c and the global
-q/-v/-h), that a value given literally is valid for its option (choices, ranges), and that a `--config FILE`
exists, is a recipe for that stage and resolves together with the flags.

What the reader understands of shell (enough for plain chain scripts, no more):
  - a stage call is a simple command whose first word is `r1`, `$R1` or `${R1}` (after `VAR=value` prefixes and
    `if`/`while`/`do`/`then`/`else`/`{`/`!`/`time`/`nohup`), or any command holding `-m r1cli` (`python -m r1cli`,
    `accelerate launch ... -m r1cli`); the stage is the first word after the global flags, and must be literal;
  - backslash-newline continuations are joined and a quoted string may span lines (the call is reported at its
    first line); comments, heredoc bodies (`<<'PY' ... PY`) and `|`, `&&`, `||`, `;`, `&`, `(`, `)` are
    understood, redirections (`> /dev/null`, `2>&1`) are dropped;
  - a word holding a `$` where a flag could stand (`"${URLS[@]}"`) is skipped: it may expand to flags, which
    only the running script knows;
  - a value holding a `$` is not checked (it is known only when the script runs), except in `--config`,
    where `$NAME` and `${NAME:-default}` are replaced by the script's own plain assignments (`NAME=value`, or
    `NAME=$(dirname "$0")`: the script's folder) and, for a name the script never assigns, by the default;
    paths are taken from the repository root, where the scripts are run (`bash recipes/tiny/demo.sh`).
"""

from __future__ import annotations

import difflib
import importlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer

from r1cli.cli import STAGES, app
from r1cli.config import fields, load_recipe, resolve
from r1cli.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
MODULES = dict(STAGES)

R1_WORDS = {"r1", "$R1", "${R1}"}
PREFIX_WORDS = {"if", "while", "until", "do", "then", "else", "elif", "{", "!", "time", "exec", "nohup"}
OPERATORS = {"|", "||", "&&", ";", ";;", "&", "|&", "(", ")"}
REDIRECTIONS = {">", ">>", "<", ">&", "&>", ">|", "<<<"}
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")
HEREDOC = re.compile(r"(?<!<)<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
DIRNAME_ASSIGNMENT = re.compile(r"\s*([A-Za-z_]\w*)=\"?\$\(dirname \"?\$0\"?\)\"?\s*")
FILE_DESCRIPTOR = re.compile(r"(?<=\s)\d+(?=[<>])")  # the 2 of `2>&1`, which the splitter would make a word
VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::?-([^}]*))?\}|\$([A-Za-z_]\w*)")

_GROUP = typer.main.get_command(app)  # the `r1` command as the CLI builds it: its stages' options are the truth
GLOBAL_FLAGS = {opt for p in _GROUP.params for opt in p.opts} | {"-h", "--help"}


@dataclass
class Call:
    """One stage call of a script: where it starts, the stage word and the words after it."""

    line: int
    stage: str
    args: list[str] = field(default_factory=list)


def shown(path: Path) -> str:
    """A path as messages name it: from the repository root when it lies inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _scan(text: str) -> tuple[str, str | None]:
    """(the text without its comment, the quote still open at its end or None)."""
    quote, i = None, 0
    while i < len(text):
        ch = text[i]
        if quote == "'":
            quote = None if ch == "'" else quote
        elif ch == "\\":
            i += 1  # the next character is escaped, in double quotes as outside them
        elif quote == '"':
            quote = None if ch == '"' else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t;|&(\n"):
            end = text.find("\n", i)
            if end == -1:
                return text[:i], None
            text = text[:i] + text[end:]
            continue
        i += 1
    return text, quote


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of each command line: continuations joined, comments and heredoc bodies
    dropped, a quoted string that spans lines kept whole."""
    out: list[tuple[int, str]] = []
    buf, start, heredoc = "", 0, None
    for number, line in enumerate(text.splitlines(), 1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if not buf:
            start = number
        code, quote = _scan(buf + line)
        if quote is not None:
            buf += line + "\n"
            continue
        trailing = len(code) - len(code.rstrip("\\"))
        if trailing % 2 == 1 and code == buf + line:  # a continuation (a backslash in a comment is literal)
            buf = code[:-1]
            continue
        buf = ""
        if code.strip():
            out.append((start, code))
            marker = HEREDOC.search(code)
            if marker:
                heredoc = marker.group(2)
    if buf.strip():
        out.append((start, buf))
    return out


def words(code: str) -> list[str]:
    """The shell words of a command line, operators as words of their own (`|`, `&&`, `>`, ...)."""
    lexer = shlex.shlex(FILE_DESCRIPTOR.sub("", code), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def simple_commands(tokens: list[str]) -> list[list[str]]:
    """The words of each simple command, split at operators, without redirections."""
    commands, current = [], []
    skip = False
    for tok in tokens:
        if skip:
            skip = False
        elif tok in OPERATORS:
            commands.append(current)
            current = []
        elif tok in REDIRECTIONS:
            skip = True  # and its target
        else:
            current.append(tok)
    commands.append(current)
    return [c for c in commands if c]


def stage_call(command: list[str]) -> list[str] | None:
    """The words from the stage on of a command that runs r1, else None."""
    i = 0
    while i < len(command) and (ASSIGNMENT.match(command[i]) or command[i] in PREFIX_WORDS):
        i += 1
    if i < len(command) and command[i] in R1_WORDS:
        return command[i + 1:]
    for j in range(len(command) - 1):
        if command[j] == "-m" and command[j + 1] == "r1cli":
            return command[j + 2:]
    return None


def assignments(lines: list[tuple[int, str]], script: Path) -> dict[str, str]:
    """The script's plain `NAME=value` assignments, each expanded with those made before it."""
    found: dict[str, str] = {}
    for _, code in lines:
        dirname = DIRNAME_ASSIGNMENT.fullmatch(code)
        if dirname:
            found[dirname.group(1)] = shown(script.parent)
            continue
        try:
            tokens = words(code)
        except ValueError:
            continue
        if len(tokens) == 1 and ASSIGNMENT.match(tokens[0]):
            name, _, value = tokens[0].partition("=")
            found[name] = expand(value, {k: v for k, v in found.items() if k != name})
    return found


def expand(value: str, known: dict[str, str]) -> str:
    """`$NAME`, `${NAME}` and `${NAME:-default}` replaced where the script says what they hold."""
    def one(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        if name in known:
            return known[name]
        return m.group(2) if m.group(2) is not None else m.group(0)

    return VARIABLE.sub(one, value)


def calls(script: Path) -> tuple[list[Call], dict[str, str], list[str]]:
    """The stage calls of a script, its assignments, and what could not be read."""
    lines = logical_lines(script.read_text(encoding="utf-8"))
    found, problems = [], []
    for number, code in lines:
        try:
            tokens = words(code)
        except ValueError as e:
            problems.append(f"line {number}: cannot split into words ({e})")
            continue
        for command in simple_commands(tokens):
            rest = stage_call(command)
            if rest is None:
                continue
            while rest and rest[0] in GLOBAL_FLAGS:
                rest = rest[1:]
            found.append(Call(number, rest[0] if rest else "", rest[1:]))
    return found, assignments(lines, script), problems


def options_of(stage: str) -> dict[str, tuple[object, bool]]:
    """Every flag a stage's command accepts: flag -> (its parameter, the value it sets for a switch)."""
    command = _GROUP.commands[stage]
    table: dict[str, tuple[object, bool]] = {name: (None, True) for name in ("-h", "--help")}
    for param in command.params:
        if param.param_type_name == "option":
            table.update({opt: (param, True) for opt in param.opts})
            table.update({opt: (param, False) for opt in param.secondary_opts})
    return table


def check_call(script: Path, call: Call, variables: dict[str, str]) -> list[str]:
    """What is wrong with one stage call: each problem names the script, the line and the flag."""
    where = f"{shown(script)}:{call.line}"
    if call.stage not in MODULES:
        if "$" in call.stage:
            return [f"{where}: the stage is a variable ({call.stage!r}); write the stage name in the script"]
        return [f"{where}: '{call.stage}' is no registered stage (registered: {', '.join(sorted(MODULES))})"]
    options = options_of(call.stage)
    command = _GROUP.commands[call.stage]
    positional = [p for p in command.params if p.param_type_name == "argument"]
    problems, flags, config, extra = [], {}, None, []
    args = iter(call.args)
    unknown = False
    for word in args:
        if not word.startswith("-") or word == "-":
            if not unknown and "$" not in word:  # the word after an unknown flag is taken as its value
                extra.append(word)
            unknown = False
            continue
        name, has_value, value = word.partition("=")
        unknown = name not in options and not has_value
        if name not in options:
            close = difflib.get_close_matches(name, list(options), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{where}: `r1 {call.stage}` has no option {name}{hint}")
            continue
        param, switch_value = options[name]
        if param is None or param.name in ("verbose", "quiet"):
            continue
        if getattr(param, "is_flag", False):
            if has_value:
                problems.append(f"{where}: {name} is a switch and takes no value ({word})")
            flags[param.name] = switch_value
            continue
        if not has_value:
            value = next(args, None)
            if value is None:
                problems.append(f"{where}: {name} is given no value")
                continue
        if param.name == "config":
            config = (name, value)
        elif "$" not in value:
            flags[param.name] = [*flags.get(param.name, []), value] if param.multiple else value
    if len(extra) > len(positional):
        problems.append(f"{where}: `r1 {call.stage}` takes {len(positional)} argument(s) without a flag, got "
                        f"{' '.join(extra)} (a switch given a value, or a missing --flag?)")
    problems += check_values(where, call.stage, config, flags, variables)
    return problems


def check_values(where: str, stage: str, config: tuple[str, str] | None, flags: dict,
                 variables: dict[str, str]) -> list[str]:
    """The --config recipe and the literal flag values, resolved as the stage would resolve them."""
    cls = importlib.import_module(MODULES[stage]).Config
    recipe = {}
    if config is not None:
        name, value = config
        path = expand(value, variables)
        if "$" in path:
            return [f"{where}: {name} {value}: cannot tell which file it is (write the path, or assign its "
                    "variables plainly in the script)"]
        try:
            recipe = load_recipe(ROOT / path, stage)
        except UserError as e:
            return [f"{where}: {name} {value}: {e}"]
    given = {key.replace("-", "_") for key in recipe} | set(flags)
    placeholders = {f.name: "x" for f in fields(cls) if f.metadata.get("required") and f.name not in given}
    try:
        resolve(cls, recipe, {**placeholders, **flags})
    except UserError as e:
        return [f"{where}: `r1 {stage}`{' {} {}'.format(*config) if config else ''}: {e}"]
    return []


def check_script(script: Path) -> list[str]:
    found, variables, problems = calls(script)
    problems = [f"{shown(script)}: {p}" for p in problems]
    for call in found:
        problems += check_call(script, call, variables)
    return problems


def scripts() -> list[Path]:
    return sorted(p for p in RECIPES.glob("*/*.sh") if p.read_text().startswith("#!"))


@pytest.mark.parametrize("script", scripts(), ids=lambda p: str(p.relative_to(RECIPES)))
def test_script_calls_real_stages_with_real_options(script):
    found, _, _ = calls(script)
    assert found, f"{shown(script)} calls no r1 stage that this reader recognises"
    problems = check_script(script)
    assert not problems, "\n".join(problems)


@pytest.fixture
def scratch(tmp_path):
    """Writes a script into a temporary folder; its paths are still taken from the repository root."""
    def make(text: str, name: str = "chain.sh") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return make


def test_continuations_are_joined_and_the_call_is_reported_at_its_first_line(scratch):
    script = scratch("set -euo pipefail\n"
                     "# r1 sft --not-checked: a comment \\\n"
                     "R1=${R1:-r1}\n"
                     "$R1 -q sft --model tiny \\\n"
                     "  --max-steps 3 \\\n"
                     "  --learning-rat 1e-3 --output runs/x\n")
    (problem,) = check_script(script)
    assert problem.startswith(f"{script}:4: ")
    assert "`r1 sft` has no option --learning-rat (did you mean --learning-rate?)" in problem


def test_heredocs_strings_and_comments_are_not_commands(scratch):
    script = scratch("python - <<'PY'\nimport os\nos.system('r1 sft --bogus')\nPY\n"
                     "echo \"r1 grpo --bogus\"  # r1 eval --bogus\n"
                     "python -m r1cli -q eval --benchmark 'task:arith?n=5' --num-samples 2 --output runs/e "
                     "> /dev/null 2>&1 && echo done\n"
                     "r1 eval --num-samples 2 --output runs/e 2>/dev/null\n")
    first, second = calls(script)[0]
    assert (first.line, first.stage) == (6, "eval")
    assert first.args == ["--benchmark", "task:arith?n=5", "--num-samples", "2", "--output", "runs/e"]
    assert (second.line, second.args) == (7, ["--num-samples", "2", "--output", "runs/e"])
    assert check_script(script) == []


def test_a_switch_given_a_value_and_a_bad_choice_are_reported(scratch):
    script = scratch("accelerate launch --config_file recipes/accelerate/zero3.yaml -m r1cli sft --packing true \\\n"
                     "  --lr-scheduler-type cosine_forever --output runs/x\n")
    problems = "\n".join(check_script(script))
    assert "takes 0 argument(s) without a flag, got true" in problems
    assert "invalid value 'cosine_forever' for --lr-scheduler-type" in problems


def test_a_config_is_found_through_the_scripts_variables_and_must_suit_the_stage(scratch, tmp_path):
    (tmp_path / "grpo.yaml").write_text("group_size: 8\nloss_type: dapo\n")
    ok = scratch('HERE=$(dirname "$0")\nOUT=${DEMO_OUT:-runs/demo}\nr1 grpo --config "$HERE/grpo.yaml" '
                 '--model "$OUT/sft" --dataset task:arith --output "$OUT/grpo"\n', "ok.sh")
    assert check_script(ok) == []
    (tmp_path / "grpo.yaml").write_text("group_size: 1\n")
    (problem,) = check_script(ok)
    assert "--config $HERE/grpo.yaml" in problem and "--group-size must be at least 2, got 1" in problem
    wrong_stage = scratch("r1 sft -c recipes/tiny/grpo.yaml --output runs/x\n")
    (problem,) = check_script(wrong_stage)
    assert "-c recipes/tiny/grpo.yaml" in problem and "unknown option 'reward'" in problem
    missing = scratch("r1 -q eval --config recipes/tiny/nothing.yaml --output runs/x\n")
    (problem,) = check_script(missing)
    assert "config file not found" in problem
    unknown = scratch("r1 eval --config \"$NOWHERE/eval.yaml\"\n")
    (problem,) = check_script(unknown)
    assert "cannot tell which file it is" in problem


def test_an_unregistered_or_variable_stage_is_reported(scratch):
    script = scratch("r1 finetune --model tiny\nSTAGE=sft\nr1 $STAGE --model tiny\n"
                     "if r1 -v eval --bogus; then echo; fi\n")
    problems = check_script(script)
    assert len(problems) == 3
    assert ":1: 'finetune' is no registered stage" in problems[0]
    assert ":3: the stage is a variable" in problems[1]
    assert ":4: `r1 eval` has no option --bogus" in problems[2]
