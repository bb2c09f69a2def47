"""Each rule through `verify`: one breaking and one non-breaking case."""

from __future__ import annotations

from conf_fixtures import base, build, meeting, sched, span

from scheduler.conferences.solver.model import Unplaced
from scheduler.conferences.solver.verify import verify


def three_ok():
    return sched(meeting("ng/lee", "16:00", "16:10"), meeting("ng/kim", "16:15", "16:25"),
                 meeting("ng/ruiz", "16:30", "16:40"))


def test_valid_schedule_has_no_errors() -> None:
    assert verify(build(base()), three_ok()) == []


def test_every_request_must_be_placed_or_explained() -> None:
    errs = verify(build(base()), sched(meeting("ng/lee", "16:00", "16:10")))
    assert any("ng/kim: neither placed nor explained" in e for e in errs)
    ok = sched(meeting("ng/lee", "16:00", "16:10"),
               unplaced=(Unplaced("ng/kim", "Mr Kim is away"), Unplaced("ng/ruiz", "Ms Ruiz is away")))
    assert verify(build(base()), ok) == []
    no_reason = sched(meeting("ng/lee", "16:00", "16:10"),
                      unplaced=(Unplaced("ng/kim", " "), Unplaced("ng/ruiz", "x")))
    assert any("without a reason" in e for e in verify(build(base()), no_reason))


def test_duration_must_match() -> None:
    s = sched(meeting("ng/lee", "16:00", "16:15"), meeting("ng/kim", "16:20", "16:30"),
              meeting("ng/ruiz", "16:35", "16:45"))
    assert any("lasts 15 min, needs 10" in e for e in verify(build(base()), s))


def test_teacher_never_double_booked() -> None:
    d = base()
    d["children"].append({"id": "z"})
    d["teachers"][0]["students"].append("z")
    d["families"].append({"id": "o", "children": ["z"]})
    ok = sched(*three_ok().meetings, meeting("o/lee", "16:10", "16:20"))
    assert verify(build(d), ok) == []
    bad = sched(*three_ok().meetings, meeting("o/lee", "16:05", "16:15"))
    assert any("teacher lee" in e and "overlap" in e for e in verify(build(d), bad))


def test_teacher_break_kept() -> None:
    d = base()
    d["teachers"][0]["breaks"] = [span("16:00", "16:15")]
    assert any("break" in e for e in verify(build(d), three_ok()))
    ok = sched(meeting("ng/lee", "16:15", "16:25"), meeting("ng/kim", "16:30", "16:40"),
               meeting("ng/ruiz", "16:45", "16:55"))
    assert verify(build(d), ok) == []


def test_teacher_availability() -> None:
    d = base()
    d["teachers"][1]["availability"] = [span("17:00", "18:00")]
    assert any("outside Mr Kim's availability" in e for e in verify(build(d), three_ok()))
    ok = sched(meeting("ng/lee", "16:40", "16:50"), meeting("ng/ruiz", "16:55", "17:05"),
               meeting("ng/kim", "17:10", "17:20"))
    assert verify(build(d), ok) == []


def test_family_availability() -> None:
    d = base()
    d["families"][0]["availability"] = [span("16:10", "18:00")]
    assert any("outside the Nguyen family's availability" in e for e in verify(build(d), three_ok()))
    d["families"][0]["availability"] = [span("16:00", "16:40")]
    assert verify(build(d), three_ok()) == []


def test_family_never_in_two_places_and_gets_passing_time() -> None:
    overlap = sched(meeting("ng/lee", "16:00", "16:10"), meeting("ng/kim", "16:05", "16:15"),
                    meeting("ng/ruiz", "16:30", "16:40"))
    assert any("family ng" in e and "overlap" in e for e in verify(build(base()), overlap))
    no_pass = sched(meeting("ng/lee", "16:00", "16:10"), meeting("ng/kim", "16:10", "16:20"),
                    meeting("ng/ruiz", "16:30", "16:40"))
    assert any("no passing time" in e for e in verify(build(base()), no_pass))


def test_same_room_needs_no_passing_time() -> None:
    d = base()
    d["teachers"][1]["room"] = "101"   # Lee and Kim share a room
    s = sched(meeting("ng/lee", "16:00", "16:10"), meeting("ng/kim", "16:10", "16:20"),
              meeting("ng/ruiz", "16:25", "16:35"))
    assert verify(build(d), s) == []


def interpreted() -> dict:
    d = base()
    d["families"] = [{"id": "ng", "name": "the Nguyen family", "language": "vi", "children": ["a", "b"]},
                     {"id": "tr", "name": "the Tran family", "language": "vi", "children": ["c"]}]
    d["interpreters"] = [{"id": "thu", "languages": ["vi"]}]
    return d


def test_interpreted_meeting_needs_longer_slot_and_interpreter() -> None:
    p = build(interpreted())
    ok = sched(meeting("ng/lee", "16:00", "16:20", "thu"), meeting("ng/kim", "16:25", "16:45", "thu"),
               meeting("tr/ruiz", "16:50", "17:10", "thu"))
    assert verify(p, ok) == []
    short = sched(meeting("ng/lee", "16:00", "16:10", "thu"), meeting("ng/kim", "16:25", "16:45", "thu"),
                  meeting("tr/ruiz", "16:50", "17:10", "thu"))
    assert any("needs 20" in e for e in verify(p, short))
    none = sched(meeting("ng/lee", "16:00", "16:20"), meeting("ng/kim", "16:25", "16:45", "thu"),
                 meeting("tr/ruiz", "16:50", "17:10", "thu"))
    assert any("interpreter, has none" in e for e in verify(p, none))


def test_interpreter_language_and_availability() -> None:
    d = interpreted()
    d["interpreters"] = [{"id": "thu", "languages": ["es"]}]
    s = sched(meeting("ng/lee", "16:00", "16:20", "thu"), meeting("ng/kim", "16:25", "16:45", "thu"),
              meeting("tr/ruiz", "16:50", "17:10", "thu"))
    assert any("does not speak vi" in e for e in verify(build(d), s))
    d = interpreted()
    d["interpreters"][0]["availability"] = [span("16:30", "18:00")]
    assert any("outside interpreter thu's availability" in e for e in verify(build(d), s))


def test_interpreter_never_in_two_places_and_gets_passing_time() -> None:
    p = build(interpreted())
    clash = sched(meeting("ng/lee", "16:00", "16:20", "thu"), meeting("ng/kim", "16:25", "16:45", "thu"),
                  meeting("tr/ruiz", "16:00", "16:20", "thu"))
    assert any("interpreter thu" in e and "overlap" in e for e in verify(p, clash))
    tight = sched(meeting("ng/lee", "16:00", "16:20", "thu"), meeting("ng/kim", "16:25", "16:45", "thu"),
                  meeting("tr/ruiz", "16:45", "17:05", "thu"))
    assert any("interpreter thu: no passing time" in e for e in verify(p, tight))


def test_interpreter_not_booked_for_english_meeting() -> None:
    d = base()
    d["interpreters"] = [{"id": "thu", "languages": ["vi"]}]
    s = sched(meeting("ng/lee", "16:00", "16:10", "thu"), meeting("ng/kim", "16:15", "16:25"),
              meeting("ng/ruiz", "16:30", "16:40"))
    assert any("needs none" in e for e in verify(build(d), s))


def test_unknown_and_duplicate_meetings() -> None:
    s = sched(*three_ok().meetings, meeting("ng/lee", "17:00", "17:10"), meeting("xx/lee", "17:00", "17:10"))
    errs = verify(build(base()), s)
    assert any("placed twice" in e for e in errs)
    assert any("xx/lee: no such meeting" in e for e in errs)


def test_meeting_must_sit_inside_an_evening() -> None:
    s = sched(meeting("ng/lee", "17:55", "18:05"), meeting("ng/kim", "16:15", "16:25"),
              meeting("ng/ruiz", "16:30", "16:40"))
    assert any("not inside one conference evening" in e for e in verify(build(base()), s))
