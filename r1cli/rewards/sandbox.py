"""Run one untrusted Python program against one test, in a child process with hard limits.

The child is `python -I -S -c HARNESS` (isolated: no site-packages, no PYTHON* variables) started with
an empty environment, an empty temporary directory as cwd, stdin = the test input only, stdout = a file
capped by RLIMIT_FSIZE, stderr discarded, in its own session (process group). Where the OS allows it
(`unshare`, as root or through a user namespace), the child starts in new network and mount namespaces:
it has no network (only a loopback that is down), and the harness mounts empty, tiny tmpfs folders over
/tmp, /var/tmp and /dev/shm, so the only shared folder it can write to is its own temporary one. Elsewhere
the limits below are all there is, and the first program of the run logs one warning saying so;
`isolation()` names the one a run had (runs record it in their manifest).

Before the program runs, the harness (trusted) preloads common stdlib modules, then drops to user
`nobody` when started as root (root ignores RLIMIT_NPROC), and sets RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE,
RLIMIT_NPROC=1 (no forks, no threads), RLIMIT_NOFILE and RLIMIT_CORE=0. If it could not drop root,
Python-level process creation (os.fork, os.system, subprocess, ...) is removed as a fallback. The caller
waits with a wall-clock deadline and then kills the whole process group.

This contains buggy model output (loops, forks, memory hogs, floods, network calls); it is not a security
boundary against deliberately hostile code (no seccomp).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass

HARNESS = r"""
import os, sys, resource
for _m in ("collections", "heapq", "math", "itertools", "functools", "bisect", "re", "string", "typing",
           "fractions", "decimal", "random", "json", "operator", "copy", "statistics", "array", "dataclasses",
           "enum", "io", "cmath", "datetime", "time", "queue", "collections.abc", "numbers", "struct", "textwrap"):
    try:
        __import__(_m)
    except Exception:
        pass
_src_path, _test_path, _cpu, _mem, _fsize, _own_mounts = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
with open(_src_path, encoding="utf-8", errors="replace") as _f:
    _src = _f.read()
_test = None
if _test_path != "-":
    with open(_test_path, encoding="utf-8", errors="replace") as _f:
        _test = _f.read()
if _own_mounts:  # a private mount namespace: hide the shared scratch folders (the cwd stays reachable)
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    for _d in (b"/tmp", b"/var/tmp", b"/dev/shm"):
        if os.path.isdir(_d) and _libc.mount(b"tmpfs", _d, b"tmpfs", 0, b"size=64k,mode=1777") != 0:
            sys.exit(70)  # never run the program with less isolation than the run reported
    del _libc, _d
if os.geteuid() == 0:
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError:
        pass
def _lim(res, value):
    try:
        resource.setrlimit(res, (value, value))
    except (ValueError, OSError):
        pass
_lim(resource.RLIMIT_CPU, _cpu)
_lim(resource.RLIMIT_AS, _mem)
_lim(resource.RLIMIT_FSIZE, _fsize)
_lim(resource.RLIMIT_NPROC, 1)
_lim(resource.RLIMIT_NOFILE, 32)
_lim(resource.RLIMIT_CORE, 0)
if os.getuid() == 0:
    def _blocked(*a, **k):
        raise PermissionError("process creation is disabled in the sandbox")
    for _n in ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp", "execv", "execve",
               "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnl", "spawnle"):
        if hasattr(os, _n):
            setattr(os, _n, _blocked)
    sys.modules["subprocess"] = None
    sys.modules["_posixsubprocess"] = None
    sys.modules["multiprocessing"] = None
del _f, _lim, _m, _src_path, _test_path, _own_mounts
_g = {"__name__": "__main__", "__builtins__": __builtins__}
exec(compile(_src, "solution.py", "exec"), _g)
if _test is not None:
    exec(compile(_test, "test.py", "exec"), _g)
sys.stdout.flush()
"""


@dataclass
class Limits:
    """cpu_s: CPU seconds (RLIMIT_CPU); wall_s: wall-clock seconds; mem_mb: address space (RLIMIT_AS);
    output_kb: stdout bytes kept (RLIMIT_FSIZE on the capture file)."""

    cpu_s: int = 2
    wall_s: float = 4.0
    mem_mb: int = 512
    output_kb: int = 1024


@dataclass
class Outcome:
    returncode: int | None  # None: killed at the wall-clock deadline
    stdout: str
    timed_out: bool

    @property
    def over_time(self) -> bool:
        """Stopped by the wall-clock deadline or the CPU limit (SIGXCPU / SIGKILL)."""
        return self.timed_out or self.returncode in (-signal.SIGXCPU, -signal.SIGKILL)


NETNS = "network+mount namespaces (unshare)"
RLIMITS = "resource limits only (no network isolation)"
_isolation: list[str] = []  # the isolation this process's programs run with, once the first one started
_deciding = threading.Lock()  # programs start from several threads


def _unshare_argv() -> list[str]:
    return ["unshare", "--net", "--mount", *([] if os.geteuid() == 0 else ["--map-root-user"]), "--"]


def _namespaces() -> list[str]:
    """The command prefix that puts a program in its own namespaces ([] where the OS refuses); decided once
    per process, with one warning when programs run without them."""
    with _deciding:
        if not _isolation:
            _decide()
    return _unshare_argv() if _isolation[0] == NETNS else []


def _decide() -> None:
    try:
        ok = subprocess.run([*_unshare_argv(), "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        from r1cli import log

        log.warn("programs run without network isolation: `unshare --net --mount` is not allowed here "
                 "(resource limits only)")
    _isolation.append(NETNS if ok else RLIMITS)


def isolation() -> str | None:
    """How this process's programs were isolated (NETNS or RLIMITS); None when it ran none."""
    return _isolation[0] if _isolation else None


def run_program(source: str, stdin: str = "", test: str | None = None, limits: Limits | None = None) -> Outcome:
    limits = limits or Limits()
    cap = limits.output_kb * 1024
    with tempfile.TemporaryDirectory(prefix="r1-sandbox-") as tmp:
        src, test_path, work = os.path.join(tmp, "solution.py"), os.path.join(tmp, "test.py"), os.path.join(tmp, "work")
        os.mkdir(work)
        os.chmod(work, 0o777)  # scratch space for the program, even after dropping to nobody
        with open(src, "w", encoding="utf-8") as f:
            f.write(source)
        if test is not None:
            with open(test_path, "w", encoding="utf-8") as f:
                f.write(test)
        in_path, out_path = os.path.join(tmp, "stdin"), os.path.join(tmp, "stdout")
        with open(in_path, "w", encoding="utf-8") as f:
            f.write(stdin or "")
        prefix = _namespaces()
        argv = [*prefix, sys.executable, "-I", "-S", "-c", HARNESS, src, test_path if test is not None else "-",
                str(max(1, int(limits.cpu_s))), str(limits.mem_mb * 1024 * 1024), str(cap + 1), str(int(bool(prefix)))]
        with open(in_path, "rb") as fin, open(out_path, "wb") as fout:
            proc = subprocess.Popen(argv, cwd=work, env={}, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL,
                                    start_new_session=True, close_fds=True)
            timed_out = False
            try:
                proc.wait(limits.wall_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait()
        with open(out_path, "rb") as f:
            data = f.read(cap + 1)
    if len(data) > cap:
        return Outcome(None if timed_out else proc.returncode, "", timed_out)
    rc = None if timed_out else proc.returncode
    return Outcome(rc, data.decode("utf-8", errors="replace"), timed_out)


def output_lines(text: str) -> list[str]:
    """The lines of an output without trailing whitespace and trailing blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_output(got: str, expected: str) -> bool:
    """Equal up to trailing whitespace on each line and trailing blank lines."""
    return output_lines(got) == output_lines(str(expected))
