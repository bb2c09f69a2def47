"""Where the server's time goes while a benchmark measures it: py-spy, summarised by function.

``py-spy record`` samples the server's processes (``--subprocesses``: every
uvicorn worker) from outside, so the figures it prints come from the same
run and the server needs no profiling hook. The collapsed stacks are kept
in the file given; the summary lists the functions with the largest share
of samples, inclusive (the function and what it called) and self.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


class Profiler:
    """``with Profiler(pid, path, seconds):`` records ``pid`` and its children; a no-op when ``path`` is None."""

    def __init__(self, pid: int, path: str | None, seconds: float, rate: int = 200) -> None:
        self.pid, self.path, self.seconds, self.rate = pid, path, seconds, rate
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Profiler:
        if self.path:
            self.proc = subprocess.Popen([PY_SPY, "record", "--pid", str(self.pid), "--subprocesses", "--nonblocking",
                                          "--rate", str(self.rate), "--duration", str(int(self.seconds)),
                                          "--format", "raw", "--output", self.path],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        _, err = self.proc.communicate(timeout=self.seconds + 60)
        if self.proc.returncode != 0 or not Path(self.path).exists():
            print(f"py-spy failed: {err[-500:]}")
            return
        print(summary(Path(self.path).read_text()))


def _name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    file = m["file"]
    for marker in ("site-packages/", "/work/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{m['fn']} ({file})"


def summary(collapsed: str, top: int = 25) -> str:
    """Markdown: the functions with most samples, inclusive and self, as shares of all samples."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_name(f) for f in stack.split(";")]
        for f in set(frames):
            inclusive[f] += n
        own[frames[-1]] += n
    if not total:
        return "profile: no samples"
    rows = ["| function | inclusive | self |", "|---|---:|---:|"]
    for fn, n in inclusive.most_common(top):
        rows.append(f"| `{fn}` | {n / total:.1%} | {own[fn] / total:.1%} |")
    rows.append("")
    rows.append("| function (self time) | self |")
    rows.append("|---|---:|")
    for fn, n in own.most_common(top):
        rows.append(f"| `{fn}` | {n / total:.1%} |")
    return f"\nprofile: {total} samples\n\n" + "\n".join(rows)


if __name__ == "__main__":  # summarise a saved profile: python tests/bench/profiles.py FILE
    print(summary(Path(sys.argv[1]).read_text()))
