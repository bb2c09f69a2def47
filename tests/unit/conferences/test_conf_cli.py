"""CLI exit codes and output: 0 all placed, 1 some unplaced, 2 bad input/usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conf_fixtures import EXAMPLE, base

from scheduler.conferences.solver.cli import run


def test_solve_example_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["solve", str(EXAMPLE), "--time-limit", "5", "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["status"] == "OPTIMAL" and doc["unplaced"] == []
    assert {m["id"] for m in doc["meetings"]} >= {"nguyen/lee", "baker.mum/lee", "baker.dad/lee"}
    first = doc["meetings"][0]
    assert set(first) == {"id", "family", "guardian", "teacher", "room", "children", "start", "end",
                          "minutes", "language", "interpreter"}
    assert "greedy:" in err and "done:" in err          # progress goes to stderr


def test_solve_to_file(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    assert run(["solve", str(EXAMPLE), "-o", str(out), "--time-limit", "5"]) == 0
    assert json.loads(out.read_text())["summary"]["placed"] == 8


def test_invalid_input_exits_2_with_error_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = base()
    d["window"]["timezone"] = "Nowhere/Land"
    d["teachers"][0]["students"] = ["zz"]
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(d))
    assert run(["solve", str(f)]) == 2
    err = capsys.readouterr().err
    assert "$.window.timezone: unknown time zone" in err and "$.teachers[0].students[0]" in err


def test_missing_file_and_bad_usage_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["solve", str(tmp_path / "nope.json")]) == 2
    assert run(["frobnicate"]) == 2
    assert run(["solve", str(EXAMPLE), "--time-limit", "0"]) == 2
    assert run([]) == 2


def test_unplaced_meetings_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = base()
    d["families"][0]["language"] = "so"      # no Somali interpreter listed
    f = tmp_path / "p.json"
    f.write_text(json.dumps(d))
    assert run(["solve", str(f), "--time-limit", "5"]) == 1
    out, err = capsys.readouterr()
    assert len(json.loads(out)["unplaced"]) == 3
    assert "no Somali interpreter is on the interpreter list" in err
