"""Households from a roster, the simple CSV template, and the plan's rules (who wins, matching), as plain functions."""

from __future__ import annotations

import pytest

from scheduler.roster import oneroster, simple_csv
from scheduler.roster.households import family_values, households
from scheduler.roster.model import Problem, RosterError
from scheduler.roster.plan import CHILD_FIELDS, FAMILY_FIELDS, FamilyRow, Snapshot, fingerprint, merge, plan
from tests.roster_data import SIMPLE, files

OPTIONS = oneroster.Options(school_slug="lincoln", school_name="Lincoln Elementary")


def lincoln(**edits):
    return oneroster.parse(files(**edits), OPTIONS)


def test_siblings_share_a_family_and_a_split_household_makes_two():
    groups = {h.key: h for h in households(lincoln())}
    assert groups["guardians:G1"].students == ("ST1", "ST2")  # siblings, both parents García: one family
    assert groups["guardians:G1"].guardians == ("G1", "G2")
    assert groups["guardians:G3"].students == ("ST3",) and groups["guardians:G4"].students == ("ST3",)
    assert groups["household:H6"].guardians == ("G6",)
    assert groups["student:ST6"].guardians == ()  # no guardian: a family of its own, no e-mail


def test_a_shared_phone_joins_two_surnames_and_household_ids_decide_over_names():
    same_phone = lincoln(users=("mark.jones@example.org,,555-0199", "mark.jones@example.org,,555-0103"))
    assert [h.guardians for h in households(same_phone) if "ST3" in h.students] == [("G3", "G4")]
    told_apart = lincoln(users=[('luis.garcia@example.org,,555-0102,,,,,', 'luis.garcia@example.org,,555-0102,,,,,B'),
                                ('ana.garcia@example.org,,555-0101,"ST1,ST2",,,Spanish,',
                                 'ana.garcia@example.org,,555-0101,"ST1,ST2",,,Spanish,A')])
    assert sorted(h.key for h in households(told_apart) if "ST1" in h.students) == ["household:A", "household:B"]


def test_family_values_name_email_language_and_school_fallback():
    roster = lincoln()
    by_key = {h.key: family_values(h, roster, "en") for h in households(roster)}
    garcia = by_key["guardians:G1"]
    assert (garcia.name, garcia.email, garcia.language, garcia.guardians) == (
        "García family", "ana.garcia@example.org", "es", ("Ana García", "Luis García"))
    assert by_key["student:ST6"].email == "" and by_key["student:ST6"].language == "en"  # Klingon: the school's


def test_the_simple_template_makes_the_same_kind_of_roster():
    roster = simple_csv.parse(SIMPLE.read_bytes())
    groups = households(roster)
    assert [(h.key, len(h.students)) for h in groups] == [("household:H1", 2), ("household:H2", 1),
                                                          (groups[2].key, 1), ("household:H4", 1)]
    assert groups[2].key.startswith("household:e-") and "nguyen" not in groups[2].key  # an e-mail, hashed
    values = [family_values(h, roster, "en") for h in groups]
    assert [v.name for v in values] == ["García family", "Pérez family", "Nguyen family", "Brown family"]
    assert [v.language for v in values] == ["es", "es", "vi", "en"]
    assert [str(n) for n in roster.notes] == [
        "roster.csv, line 6, column language: unknown language 'Elvish': the school's language is used"]


@pytest.mark.parametrize(("text", "expected"), [
    (b"child_first_name,grade,email\nSofia,3,a@example.org\n", Problem("roster.csv", 1, "guardian_name",
                                                                      "missing required column")),
    (b"child_first_name,grade,guardian_name,email\nSofia,3,Ana,\n",
     Problem("roster.csv", 2, "household_id", "give a household_id (at most 255 characters) or an e-mail address")),
    (b"child_first_name,grade,guardian_name,email\nSofia,3,Ana,a@x.org\nsofia,3,ana,a@x.org\n",
     Problem("roster.csv", 3, "child_first_name", "the same child, guardian and household as line 2")),
])
def test_the_simple_template_errors_name_line_and_column(text, expected):
    with pytest.raises(RosterError) as caught:
        simple_csv.parse(text)
    assert caught.value.problems == [expected]


def test_the_simple_template_refuses_bad_utf8_with_its_place():
    with pytest.raises(RosterError) as caught:
        simple_csv.parse("child_first_name,grade,guardian_name,email\nSof\xeda,3,Ana,a@x.org\n".encode("latin-1"))
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (2, "child_first_name") and "not UTF-8" in problem.message


def test_sis_owned_fields_follow_the_sis_when_it_changes_and_only_then():
    sis = {f: fingerprint(v) for f, v in {"name": "García family", "email": "old@x.org", "guardians": ["Ana"],
                                           "language": "es"}.items()}
    edited = {"name": "Garcia", "email": "mine@x.org", "guardians": ["Ana"], "language": "es"}
    same = {"name": "García family", "email": "old@x.org", "guardians": ["Ana"], "language": "es"}
    assert merge(FAMILY_FIELDS, same, sis, edited)[0] == {}  # the SIS said nothing new: edits here stay
    changed = {**same, "email": "new@x.org"}
    writes, remembered, kept = merge(FAMILY_FIELDS, changed, sis, edited)
    assert writes == {"email": "new@x.org"} and remembered["email"] == fingerprint("new@x.org") and kept == []


def test_the_family_language_and_age_band_win_once_changed_here():
    sis = {"language": fingerprint("es")}
    fields = {"language": FAMILY_FIELDS["language"]}
    assert merge(fields, {"language": "en"}, sis, {"language": "es"})[0] == {"language": "en"}  # untouched: SIS
    writes, remembered, kept = merge(fields, {"language": "en"}, sis, {"language": "vi"})  # the family chose vi
    assert writes == {} and kept == ["language"] and remembered["language"] == fingerprint("en")
    assert merge(fields, {"language": "en"}, remembered, {"language": "vi"}) == ({}, remembered, [])  # said once
    assert CHILD_FIELDS["age_band"] == FAMILY_FIELDS["language"]


def test_a_family_is_matched_by_its_guardians_so_a_new_guardian_updates_it():
    roster = lincoln()
    groups = households(roster)
    values = {s: {"first_name": st.given_name, "grade": "3", "age_band": "school-age"}
              for s, st in roster.students.items()}
    first = plan(roster, groups, Snapshot([], [], {}, {}, {}), "en", values)
    assert first.counts()["families"]["created"] == 6
    garcia = next(s for s in first.creates["families"] if s.label == "García family")
    row = FamilyRow(id=1, family_id=10, user_id=None, key="guardians:G2", guardians=("G2",),
                    sis=garcia.internal["sis"], active=True, current=dict(garcia.writes))
    again = plan(roster, groups, Snapshot([row], [], {}, {}, {}), "en", values)
    assert again.counts()["families"]["created"] == 5  # the García household is row 1, with a guardian more
    assert again.updates["families"] == []  # nothing a person sees changed; the roster row learns of G1
    assert [s.internal["guardians"] for s in again.touches["families"]] == [["G1", "G2"]]
    gone = FamilyRow(id=1, family_id=None, user_id=None, key="guardians:G2", guardians=("G2",), sis={}, active=True,
                     current={})
    erased = plan(roster, groups, Snapshot([gone], [], {}, {}, {}), "en", values)
    assert erased.counts()["families"]["created"] == 5  # a family that deleted its account is not made again
    assert any("deleted its account" in n.message for n in erased.notes)


def test_the_roster_gives_the_family_a_phone_for_texts_when_it_reads_as_one():
    roster = lincoln(users=("ana.garcia@example.org,,555-0101", "ana.garcia@example.org,,(612) 555-0101"))
    by_key = {h.key: family_values(h, roster, "en") for h in households(roster)}
    assert by_key["guardians:G1"].phone == "+16125550101"  # E.164, as the SMS provider sends it back
    assert by_key["guardians:G3"].phone == ""  # "555-0103": seven digits, not a number a text can reach
    assert FAMILY_FIELDS["phone"] == FAMILY_FIELDS["email"]  # the SIS owns it, like the e-mail
