"""Drive the real server with ``wrk`` (a C load generator) and report figures beside ``GET /health``.

A Python client (httpx) caps out near 2k requests/s on this machine, so it
measured itself rather than the server: ``/health`` looked four times slower
than it is and every ratio against it looked better than it was. ``wrk``
sends requests from C; the Lua below only picks the next request and counts
status codes, so the server is what is measured.

Used by the benchmarks in this folder (``bookings.py``, ``feeds.py``,
``load.py``); not a benchmark itself. Every table they print has the
``/health`` row of the same run and each route's ratio to it, because the
machine is shared and absolute figures are noisy.

Requests come from one of two sources:

* a fixed request (``method``, ``path``, ``headers``, ``body``), or
* a file of requests, one a line: ``METHOD<TAB>PATH<TAB>BODY<TAB>Name: value<TAB>...``.
  With ``once=True`` each line is sent exactly once (split between wrk's
  threads; a thread that runs out stops, and ``exhausted`` says so) -- a
  registration must come from a new family each time; otherwise the lines
  are sent round and round (feed polls), with ``learn=True`` keeping the
  ETag of each feed's last 200 like a calendar app.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

WRK = shutil.which("wrk") or "/usr/bin/wrk"

_COMMON = r"""
local threads = {}
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  thread:set("thread_count", 0)
  next_id = next_id + 1
  table.insert(threads, thread)
end

codes = {}
exhausted = 0
learned = nil  -- set by _FROM_FILE when a poll keeps the ETag of its last 200 (one connection per thread)
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if learned ~= nil and status == 200 then learned(headers["etag"] or headers["ETag"]) end
end

function done(summary, latency, requests)
  local all, ran_out = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do all[k] = (all[k] or 0) + v end
    ran_out = ran_out + t:get("exhausted")
  end
  local parts = {}
  for k, v in pairs(all) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format('JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "exhausted": %d, "codes": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    ran_out, table.concat(parts, ", ")))
end
"""

_FROM_FILE = r"""
local lines, position, once, current = {}, 0, false, nil
local etags = {}  -- path -> the ETag this thread's calendar app holds
local function split(s)
  local out = {}
  for field in (s .. "\t"):gmatch("([^\t]*)\t") do table.insert(out, field) end
  return out
end

function init(args)
  local me, count = tonumber(thread_id), tonumber(args[3])
  once = args[2] == "once"
  local learning = args[2] == "learn"
  local n = 0
  for line in io.lines(args[1]) do
    if (n % count) == me then
      local f = split(line)
      local headers = {}
      for i = 4, #f do
        local name, value = f[i]:match("^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
      end
      if learning then
        etags[f[2]] = etags[f[2]] or headers["If-None-Match"]
        table.insert(lines, {f[1], f[2], headers})
      else
        table.insert(lines, wrk.format(f[1], f[2], headers, f[3] ~= "" and f[3] or nil))
      end
    end
    n = n + 1
  end
  if learning then
    learned = function(tag) if tag then etags[current] = tag end end
  end
end

function request()
  position = position + 1
  if position > #lines then
    if once then
      exhausted = 1
      wrk.thread:stop()
      return lines[#lines]
    end
    position = 1
  end
  local req = lines[position]
  if type(req) == "table" then  -- a poll: with the ETag of the last copy, learned from the answers
    current = req[2]
    req[3]["If-None-Match"] = etags[current]
    return wrk.format(req[1], req[2], req[3], nil)
  end
  return req
end
"""


@dataclasses.dataclass
class Result:
    """What one wrk run measured (latencies in ms)."""

    label: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    codes: Counter
    socket_errors: dict[str, int]
    exhausted: bool

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.codes.items() if int(code) >= 500)

    @property
    def unanswered(self) -> int:
        return sum(self.socket_errors.values())


def run(base: str, label: str, *, path: str = "/", method: str = "GET", headers: dict[str, str] | None = None,
        body: str | None = None, lines: Iterable[str] | None = None, once: bool = False, learn: bool = False,
        threads: int = 2, connections: int = 32, seconds: float = 10.0, timeout: float = 10.0) -> Result:
    """One wrk run against ``base``: a fixed request, or the request ``lines`` (see the module docstring).

    ``learn``: the lines are polls whose ``If-None-Match`` is replaced by the ETag of the last 200 for the
    same path, as a calendar app keeps its copy; wrk then runs one connection per thread, so that each
    answer is matched with the request it answers.
    """
    threads = connections if learn else max(1, min(threads, connections))
    with tempfile.TemporaryDirectory(prefix="fb-wrk-") as tmp:
        script = Path(tmp) / "script.lua"
        args: list[str] = []
        if lines is None:
            fixed = {"method": method, "path": path, "headers": headers or {}, "body": body}
            lua = "wrk.method = %s\nwrk.path = %s\n%s%s" % (
                _lua_str(fixed["method"]), _lua_str(fixed["path"]),
                "".join(f"wrk.headers[{_lua_str(k)}] = {_lua_str(v)}\n" for k, v in fixed["headers"].items()),
                f"wrk.body = {_lua_str(body)}\n" if body is not None else "")
        else:
            data = Path(tmp) / "requests.tsv"
            data.write_text("".join(line.rstrip("\n") + "\n" for line in lines))
            lua = _FROM_FILE
            args = ["--", str(data), "once" if once else "learn" if learn else "cycle", str(threads)]
        script.write_text(_COMMON + lua)
        cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s", "-s",
               str(script), base, *args]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    data = json.loads(line[5:])
    ms = lambda us: us / 1000.0  # noqa: E731
    return Result(label=label, requests=data["requests"], seconds=data["duration_us"] / 1e6, p50_ms=ms(data["p50_us"]),
                  p90_ms=ms(data["p90_us"]), p99_ms=ms(data["p99_us"]), max_ms=ms(data["max_us"]),
                  codes=Counter({int(k): v for k, v in data["codes"].items()}),
                  socket_errors={k: data[k] for k in ("connect", "read", "write", "timeout") if data[k]},
                  exhausted=bool(data["exhausted"]))


def request_line(method: str, path: str, body: str = "", headers: dict[str, str] | None = None) -> str:
    """One line of a request file (no tabs or newlines allowed inside the fields)."""
    fields = [method, path, body, *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if any("\t" in f or "\n" in f for f in fields):
        raise ValueError("request fields may not contain tabs or newlines")
    return "\t".join(fields)


def health(base: str, **kw) -> Result:
    """The framework's ceiling in this run: a plain JSON route that touches nothing."""
    return run(base, "GET /health (plain JSON: the ceiling)", path="/health", **kw)


def table(rows: Sequence[Result], ceiling: Result, extra: dict[str, list[str]] | None = None) -> str:
    """A Markdown table: one row per route with its ratio to ``/health`` of the same run.

    ``extra`` adds columns (name -> one value per row, ``ceiling`` first).
    """
    extra = extra or {}
    head = ["route", "requests", "req/s", "vs /health", "p50 ms", "p99 ms", "status codes", *extra]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, r in enumerate([ceiling, *rows]):
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(r.codes.items()))
        if r.unanswered:
            codes += ", no answer: " + ", ".join(f"{k} {v}" for k, v in r.socket_errors.items())
        cells = [r.label, str(r.requests), f"{r.rps:,.0f}", f"{r.rps / ceiling.rps:.0%}" if ceiling.rps else "-",
                 f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", codes, *(v[i] for v in extra.values())]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _lua_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for our ASCII-ish inputs


class CpuMeter:
    """CPU seconds used while measuring by the server's processes and the PostgreSQL backends of ``database``.

    Steadier than req/s on a shared machine: what one request costs, wherever it runs.
    ``with CpuMeter(server_pid, database) as cpu: ...`` then ``cpu.used`` -> {"server": s, "postgres": s}.
    """

    def __init__(self, server_pid: int, database: str | None) -> None:
        self.server_pid, self.database = server_pid, database
        self.used: dict[str, float] = {}

    def _pids(self) -> dict[str, list[int]]:
        import psutil

        root = psutil.Process(self.server_pid)
        backends = []
        if self.database:
            for proc in psutil.process_iter(["cmdline"]):
                cmd = proc.info["cmdline"] or []
                if cmd and cmd[0].startswith("postgres:") and f" {self.database} " in cmd[0]:
                    backends.append(proc.pid)
        return {"server": [root.pid] + [c.pid for c in root.children(recursive=True)], "postgres": backends}

    @staticmethod
    def _seconds(pids: list[int]) -> dict[int, float]:
        import psutil

        out = {}
        for pid in pids:
            try:
                t = psutil.Process(pid).cpu_times()
                out[pid] = t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return out

    def __enter__(self) -> CpuMeter:
        self.before = {k: self._seconds(v) for k, v in self._pids().items()}
        return self

    def __exit__(self, *exc) -> None:
        after = {k: self._seconds(v) for k, v in self._pids().items()}
        self.used = {k: sum(after[k].values()) - sum(self.before[k].get(p, 0.0) for p in after[k]) for k in after}

    def per_request(self, requests: int) -> str:
        if not requests:
            return "-"
        return " / ".join(f"{1000 * s / requests:.2f}" for s in (self.used.get("server", 0), self.used.get("postgres", 0)))
