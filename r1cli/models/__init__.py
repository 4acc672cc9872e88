"""Model references: `tiny` (the embedded model, built on first use), a local checkpoint folder (with
`?layers=N`: N of its decoder layers, r1cli.models.fewer_layers), or a hub name.

`resolve` checks a reference before anything loads it, so a typo fails in one line at once: a path that
does not exist, a folder that is not a checkpoint (no or broken config.json, no weights), or a hub name
while the hub cannot be reached (instead of a minute of the hub client's retries).

A model may ship Python code of its own (config.json's `auto_map`) for an architecture transformers lacks.
Running it is running a stranger's program, so every loader here passes `trust_remote_code=False` unless the
stage's `--trust-remote-code` (declared once, `remote_code_option`) says otherwise, and `resolve` refuses such
a model up front, naming the flag.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import parse_qsl

from r1cli.errors import UserError

TRUST_REMOTE_CODE_HELP = ("Run the Python code a model ships for an architecture transformers and vLLM lack "
                          "(config.json's auto_map). Off: such a model is refused. Only for models you trust.")


def remote_code_option():
    """The `--trust-remote-code` option, the same in every stage that loads a model."""
    from r1cli.config import option

    return option(False, TRUST_REMOTE_CODE_HELP)


def cache_dir() -> Path:
    return Path(os.environ.get("R1_CACHE", Path.home() / ".cache" / "r1cli"))


def tiny_spec(ref: str):
    """The TinySpec of `tiny?layers=2&...`, each parameter within the bounds `r1 tiny-model` declares."""
    from r1cli.models.tiny import BOUNDS, SMALL, TinySpec

    _, _, query = ref.partition("?")
    kwargs = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in TinySpec.__dataclass_fields__:
            valid = ", ".join(TinySpec.__dataclass_fields__)
            raise UserError(f"unknown tiny-model parameter '{key}' (valid: {valid})")
        try:
            kwargs[key] = int(value)
        except ValueError:
            raise UserError(f"tiny-model parameter '{key}' must be an integer, got {value!r}") from None
        lo, hi = BOUNDS[key]
        if not lo <= kwargs[key] <= hi:
            raise UserError(f"tiny-model parameter '{key}' must be in [{lo}, {hi}] ({SMALL}), got {value}")
    spec = TinySpec(**kwargs)
    if spec.hidden % spec.heads:
        raise UserError(f"tiny-model parameter 'hidden' ({spec.hidden}) must be divisible by 'heads' ({spec.heads})")
    return spec


def resolve(ref: str, flag: str | None = None, *, trust_remote_code: bool = False, generative: bool = True) -> str:
    """Turn a model reference into something `from_pretrained` and vLLM accept (a folder or a hub name).

    `flag` is the option the reference came from (e.g. "--model"); error messages name it. A local model
    that needs its own code is refused unless `trust_remote_code`. `generative`: the model writes text, so a
    local classifier (a reward model) is refused; False where a classifier may be given.
    """
    if not ref.strip():
        raise UserError(f"{flag or 'the model reference'} is empty: give tiny, a checkpoint folder or a hub name")
    label = f"{flag} {ref}" if flag else f"model {ref}"
    if ref == "tiny" or ref.startswith("tiny?"):
        try:
            return str(_tiny(ref))
        except UserError as e:
            raise UserError(f"{label}: {e}") from None
    from r1cli.models import checks

    folder, _, query = ref.partition("?")
    if query and Path(folder).expanduser().is_dir():
        from r1cli.models import fewer_layers

        keep = fewer_layers.parse(query, label)
        path = Path(folder).expanduser().resolve()
        checks.model_folder(path, label, trust_remote_code=trust_remote_code, generative=generative)
        layers = fewer_layers.kept_layers(path, keep, label)
        target = cache_dir() / "layers" / fewer_layers.key(path, keep)
        try:
            return str(built_once(target, lambda tmp: fewer_layers.write(path, layers, tmp)))
        except UserError as e:
            raise UserError(f"{label}: {e}") from None
    path = Path(ref).expanduser()
    if path.exists():
        checks.model_folder(path, label, trust_remote_code=trust_remote_code, generative=generative)
        return str(path.resolve())
    if checks.looks_like_path(ref):
        raise UserError(f"{label}: folder not found{checks.did_you_mean(path)}")
    return _hub(ref, label, flag or "--model", trust_remote_code)


def _tiny(ref: str) -> Path:
    from r1cli.models import tiny

    spec = tiny_spec(ref)
    return built_once(cache_dir() / "tiny" / spec.key, lambda tmp: tiny.build(tmp, spec))


def built_once(target: Path, write) -> Path:
    """`target` in the model cache, written by `write(folder)` into a temporary folder and renamed into place
    the first time it is asked for (two processes may build it at once: the first rename wins)."""
    if (target / "config.json").exists():
        return target
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot build it in the model cache {cache_dir()} ({e.strerror or e}): "
                        "set R1_CACHE to a writable folder") from None
    shutil.rmtree(tmp, ignore_errors=True)
    write(tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _hub(name: str, label: str, flag: str, trust_remote_code: bool) -> str:
    """A hub name as it is when the hub answers; offline, its cached copy or a one-line error."""
    from r1cli import hub
    from r1cli.models import checks

    if hub.reachable():
        return name
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means: not usable from the cache
        raise UserError(f"{label}: the model hub cannot be reached and the model is not in the local cache; "
                        f"pass a local checkpoint folder ({flag} path/to/folder){checks.did_you_mean(Path(name))}"
                        ) from None
    checks.model_folder(folder, label, trust_remote_code=trust_remote_code)
    return str(folder)


def load_tokenizer(path: str, *, trust_remote_code: bool = False):
    """The tokenizer as the model ships it (no chat template or pad token added: prompts render exactly as the
    model's own files say, so eval results do not depend on r1cli's defaults). A tokenizer's own code runs
    only with `trust_remote_code` (see the module docstring)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)


def tokenizer_loader(ref: str, flag: str, *, trust_remote_code: bool = False):
    """A function that loads model `ref`'s tokenizer as shipped: what r1cli.templates.resolve asks of a model,
    only when its rule needs it (a task: dataset never loads one)."""
    return lambda: load_tokenizer(resolve(ref, flag, trust_remote_code=trust_remote_code),
                                  trust_remote_code=trust_remote_code)
