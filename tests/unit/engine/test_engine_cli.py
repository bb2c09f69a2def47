"""`family-bridge solve` as a function: exit codes, stdout/stderr, -o."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from engine_fixtures import DATA, base_instance

from scheduler.engine import verify
from scheduler.engine.cli import run

ROOT = Path(__file__).resolve().parents[3]


def call(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_solve_to_stdout(tmp_path: Path) -> None:
    p = tmp_path / "inst.json"
    p.write_text(json.dumps(base_instance()))
    code, out, err = call(["solve", str(p), "--time-limit", "5", "--seed", "3"])
    assert code == 0
    sol = json.loads(out)
    assert verify(base_instance(), sol) == []
    assert "best scheduled=" in err and "done:" in err


def test_solve_to_file(tmp_path: Path) -> None:
    o = tmp_path / "sol.json"
    code, out, _ = call([str(DATA / "tiny-1.json"), "-o", str(o), "--time-limit", "5"])
    assert code == 0 and out == ""
    assert json.loads(o.read_text())["objective"]["scheduled"] >= 1


def test_invalid_instance_exit_2_lists_every_error(tmp_path: Path) -> None:
    data = base_instance()
    data["rooms"][0]["capacity"] = -1
    data["slot_minutes"] = 7
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    code, out, err = call(["solve", str(p)])
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert "rooms[0].capacity: must be >= 0, got -1" in lines
    assert any(line.startswith("slot_minutes: ") for line in lines)


def test_unreadable_json_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.json"
    p.write_text("{not json")
    code, _, err = call(["solve", str(p)])
    assert code == 2 and "not valid JSON" in err
    code, _, err = call(["solve", str(tmp_path / "nope.json")])
    assert code == 2 and "cannot read" in err


def test_bad_usage_exit_2() -> None:
    assert call(["solve"])[0] == 2
    assert call(["solve", "x.json", "--time-limit", "0"])[0] == 2


def test_module_entry_point(tmp_path: Path) -> None:
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"version": 1}))
    proc = subprocess.run([sys.executable, "-m", "scheduler.engine.cli", "solve", str(p)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2 and "timezone: missing required key" in proc.stderr
