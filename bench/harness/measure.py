"""Run one tool step as a subprocess and measure it: wall time, CPU time, peak memory, exit code.

Peak memory is the child's maximum resident set size. It is read from `/usr/bin/time -v` when that
program exists (GNU time, writing its report to a separate file so the step's own output stays
clean), otherwise from `os.wait4`, which returns the rusage of exactly that child. Never raises for
a failing or missing program: the failure is recorded in the returned Step.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field

GNU_TIME = "/usr/bin/time"


def gnu_time_available() -> bool:
    """True when /usr/bin/time is GNU time (it understands -v and -o)."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    try:
        r = subprocess.run([GNU_TIME, "-v", "true"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return "Maximum resident set size" in r.stderr


@dataclass
class Step:
    """What one subprocess did."""

    name: str
    argv: list[str]
    ok: bool = False
    exit_code: int | None = None
    wall_s: float | None = None
    user_s: float | None = None
    sys_s: float | None = None
    max_rss_kib: int | None = None
    memory_source: str | None = None
    error: str | None = None
    stdout: str = ""
    stderr: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self, keep_output: bool = False) -> dict:
        d = asdict(self)
        if not keep_output:
            # Keep only the tail of the output: enough to read an error.
            d["stdout"] = _tail(self.stdout)
            d["stderr"] = _tail(self.stderr)
        return d


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class Runner:
    """Runs steps under GNU time when available, else with os.wait4."""

    def __init__(self, log_dir: pathlib.Path, timeout_s: float, use_gnu_time: bool | None = None):
        self.log_dir = log_dir
        self.timeout_s = timeout_s
        self.use_gnu_time = gnu_time_available() if use_gnu_time is None else use_gnu_time
        self.count = 0

    @property
    def memory_source(self) -> str:
        return "/usr/bin/time -v" if self.use_gnu_time else "os.wait4 rusage"

    def run(self, name: str, argv: list[str], cwd: pathlib.Path | None = None) -> Step:
        step = Step(name=name, argv=[str(a) for a in argv])
        program = step.argv[0]
        if shutil.which(program) is None and not os.access(program, os.X_OK):
            step.error = f"program not found: {program}"
            return step
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.count += 1
        stem = self.log_dir / f"{self.count:03d}-{name.replace(' ', '_').replace('/', '_')}"
        out_path, err_path, time_path = (stem.with_suffix(s) for s in (".out", ".err", ".time"))
        full = step.argv
        if self.use_gnu_time:
            full = [GNU_TIME, "-v", "-o", str(time_path), *step.argv]
        start = time.perf_counter()
        timed_out = False
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            try:
                # Own process group, so a timeout ends the step and everything it started.
                proc = subprocess.Popen(
                    full,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    cwd=cwd,
                    start_new_session=True,
                )
            except OSError as e:
                step.error = f"cannot start {program}: {e}"
                return step
            # Block in wait4 (exact end time); a timer ends the process group on timeout.
            fired = threading.Event()

            def _kill(pid: int = proc.pid) -> None:
                fired.set()
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(self.timeout_s, _kill)
            timer.start()
            try:
                _, status, rusage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
            timed_out = fired.is_set()
        step.wall_s = time.perf_counter() - start
        step.stdout = out_path.read_text(errors="replace")
        step.stderr = err_path.read_text(errors="replace")
        step.exit_code = os.waitstatus_to_exitcode(status)
        if self.use_gnu_time and time_path.exists():
            report = _parse_gnu_time(time_path.read_text(errors="replace"))
            step.max_rss_kib = report.get("max_rss_kib")
            step.user_s = report.get("user_s")
            step.sys_s = report.get("sys_s")
            if report.get("exit_status") is not None:
                step.exit_code = report["exit_status"]
            step.memory_source = "/usr/bin/time -v"
        else:
            step.max_rss_kib = int(rusage.ru_maxrss)  # KiB on Linux
            step.user_s = rusage.ru_utime
            step.sys_s = rusage.ru_stime
            step.memory_source = "os.wait4 rusage"
        step.ok = step.exit_code == 0 and not timed_out
        if timed_out:
            step.error = f"timed out after {self.timeout_s:.0f} s"
        elif not step.ok:
            last = _tail(step.stderr, 5) or _tail(step.stdout, 5)
            step.error = f"exit code {step.exit_code}: {last}"
        return step


def _parse_gnu_time(text: str) -> dict:
    out: dict = {}
    for line in text.splitlines():
        key, _, value = line.strip().rpartition(": ")
        try:
            if key == "Maximum resident set size (kbytes)":
                out["max_rss_kib"] = int(value)
            elif key == "User time (seconds)":
                out["user_s"] = float(value)
            elif key == "System time (seconds)":
                out["sys_s"] = float(value)
            elif key == "Exit status":
                out["exit_status"] = int(value)
        except ValueError:
            continue
    return out
