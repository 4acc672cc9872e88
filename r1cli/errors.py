"""The one exception a user should ever see: a short message that names the problem and the fix."""

import os
import signal
import threading

_seen = 0  # Ctrl-Cs and SIGTERMs seen by _remember


class UserError(Exception):
    """Bad input from the user (file, option, data). The CLI prints it as one line and exits with code 2."""

    exit_code = 2


class Interrupted(Exception):
    """Ctrl-C during a stage; the message says how to resume. The CLI prints it as one line and exits 130.

    Deliberately not a KeyboardInterrupt: the command-line framework turns those into a silent exit 130,
    and the user would never learn which folder holds the unfinished work."""

    exit_code = 130


def watch_interrupts() -> None:
    """Remember every Ctrl-C or SIGTERM, then raise KeyboardInterrupt as Python does for a Ctrl-C.

    A SIGINT can land inside library code that catches the KeyboardInterrupt and then fails in its own way
    (seen: an UnboundLocalError from a half-run function while vLLM shut down). Whatever error such a run ends
    with, it was interrupted, and the user must hear how to resume rather than about the side effect.

    SIGTERM (what `kill`, `timeout` and job schedulers send) is a Ctrl-C too: by default it ends the process at
    once, with no cleanup, so the engine processes in their own process groups ran on for ever and the
    --resume line was never printed. Forked children get the default back: they are not the CLI."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _remember)
        signal.signal(signal.SIGTERM, _remember)
        os.register_at_fork(after_in_child=_default_sigterm)


def remember_ctrl_c() -> None:
    """Where Python's own Ctrl-C handler is in place (a program calling r1cli, not the CLI), put one in that
    raises the same KeyboardInterrupt and also remembers it, for `interrupts_seen`; any other handler stays."""
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _remember)


def interrupts_seen() -> int:
    """How many Ctrl-Cs (or SIGTERMs) the handlers above have seen. A loop that compares it with the count at
    its start stops even when the KeyboardInterrupt itself was swallowed: raised inside a finalizer (`__del__`,
    a weakref callback) that the garbage collector ran, Python prints it as "Exception ignored" and goes on."""
    return _seen


def _remember(signum, frame):
    global _seen
    _seen += 1
    signal.default_int_handler(signum, frame)


def _default_sigterm() -> None:
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:  # forked from another thread: Python keeps no handlers there
        pass


def interrupted(error: BaseException) -> bool:
    """True when `error` is, or follows from, a Ctrl-C."""
    return isinstance(error, KeyboardInterrupt) or (isinstance(error, Exception) and _seen > 0)


def check_environment() -> None:
    """Refuse, in one line, a process that cannot work at all: its working folder deleted under it, or no
    writable temporary folder (every library that spills to TMPDIR would fail later, with its own error)."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise UserError("the current folder no longer exists: cd into an existing folder and rerun") from None
    folder = os.environ.get("TMPDIR")
    if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
        raise UserError(f"TMPDIR={folder} is not a writable folder: set TMPDIR to one, or unset it")
