"""Reading OneRoster 1.1 CSV bundles: what becomes of each row, and every broken file named by file, line, column."""

from __future__ import annotations

import pytest

from scheduler.roster import oneroster
from scheduler.roster.model import Problem, RosterError, resolve_language
from tests.roster_data import LINCOLN, files, zipped

OPTIONS = oneroster.Options(school_slug="lincoln", school_name="Lincoln Elementary")


def parse(bundle: dict[str, bytes], options: oneroster.Options = OPTIONS):
    return oneroster.parse(bundle, options)


def problems(bundle: dict[str, bytes], options: oneroster.Options = OPTIONS) -> list[Problem]:
    with pytest.raises(RosterError) as caught:
        parse(bundle, options)
    return caught.value.problems


def test_the_school_students_guardians_teachers_classes_and_enrolments():
    roster = parse(oneroster.read_bundle(LINCOLN))
    assert list(roster.students) == ["ST1", "ST2", "ST3", "ST4", "ST5", "ST6"]  # ST7 is at the other school
    assert roster.students["ST1"].grade == "03" and roster.students["ST1"].language == "es"
    assert roster.students["ST3"].guardians == ["G3", "G4"]
    assert roster.students["ST4"].language == "vi"  # from demographics.csv, as a name
    assert set(roster.guardians) == {"G1", "G2", "G3", "G4", "G5", "G6"}
    assert roster.guardians["G3"].language == "zh" and roster.guardians["G6"].household == "H6"
    assert [t.name for t in roster.teachers.values()] == ["María López", "John Smith"]
    assert roster.classes["C3"].teacher == "T1" and roster.classes["C3"].grades == ("01", "03")
    assert "C6" not in roster.classes
    assert {(e.school_class, e.student) for e in roster.enrollments} == {
        ("C3", "ST1"), ("C3", "ST4"), ("CK", "ST2"), ("C5", "ST3"), ("CK", "ST5")}


def test_an_unknown_language_is_a_note_naming_its_place_and_the_import_goes_on():
    roster = parse(oneroster.read_bundle(LINCOLN))
    assert [str(n) for n in roster.notes] == [
        "users.csv, line 10, column metadata.homeLanguage: unknown language 'Klingon': the school's language is used"]
    assert roster.students["ST6"].language == ""


@pytest.mark.parametrize(("value", "code"), [("es", "es"), ("ES", "es"), ("es-MX", "es"), ("Spanish", "es"),
                                             ("vietnamese", "vi"), ("Hmong", "hmn"), ("hmn", "hmn"),
                                             ("sp", None), ("Klingon", None), ("", None)])
def test_languages_are_iso_639_codes_or_english_names(value, code):
    assert resolve_language(value) == code


def test_a_missing_required_column_names_the_file_and_the_column():
    bundle = files(users=("givenName,familyName", "firstName,familyName"))
    assert Problem("users.csv", 1, "givenName", "missing required column") in problems(bundle)


def test_an_unknown_agent_names_the_row_and_the_column():
    found = problems(files(users=('ST4,,,true,S1,student,mnguyen,,Minh,Nguyen,,1004,,,,G5,',
                                  'ST4,,,true,S1,student,mnguyen,,Minh,Nguyen,,1004,,,,G55,')))
    assert found == [Problem("users.csv", 8, "agentSourcedIds", "unknown user 'G55' (not in users.csv)")]


def test_a_duplicate_sourced_id_names_both_lines():
    found = problems(files(users=("G7,,,true,D1,parent,pdoe,", "G6,,,true,D1,parent,pdoe,")))
    assert Problem("users.csv", 18, "sourcedId", "duplicate sourcedId 'G6' (also on line 17)") in found


def test_bad_utf8_names_the_line_and_the_column():
    bundle = files()
    bundle["users.csv"] = bundle["users.csv"].replace("Sofía".encode(), "Sof\xeda".encode("latin-1"))
    found = problems(bundle)
    assert len(found) == 1
    assert (found[0].file, found[0].line, found[0].column) == ("users.csv", 5, "givenName")
    assert "not UTF-8" in found[0].message


def test_unknown_references_between_files_are_errors():
    found = problems(files(enrollments=("E10,,,CK,S1,ST5", "E10,,,CX,S1,ST5"),
                           classes=("C5,,,Grade 5 Homeroom,05,HR5", "C5,,,Grade 5 Homeroom,05,HR9")))
    assert Problem("enrollments.csv", 11, "classSourcedId", "unknown class 'CX' (not in classes.csv)") in found
    assert Problem("classes.csv", 4, "courseSourcedId", "unknown course 'HR9' (not in courses.csv)") in found


def test_statuses_tobedeleted_leaves_the_row_out_and_an_unknown_status_is_an_error():
    roster = parse(files(users=("ST4,,,true,S1,student", "ST4,tobedeleted,2027-01-01,true,S1,student")))
    assert "ST4" not in roster.students and "G5" not in roster.guardians  # G5's only child left
    found = problems(files(users=("ST4,,,true,S1,student", "ST4,gone,,true,S1,student")))
    assert found == [Problem("users.csv", 8, "status", "unknown status 'gone' (active or tobedeleted)")]


def test_a_delta_manifest_is_refused_and_a_listed_file_must_be_there():
    found = problems(files(manifest=("file.users,bulk", "file.users,delta")))
    assert found[0].file == "manifest.csv" and found[0].line == 16 and found[0].column == "value"
    assert "delta" in found[0].message
    assert Problem("classes.csv", 0, "", "missing: the manifest lists it as bulk") in problems(files(classes=None))


def test_absent_class_files_leave_the_classes_alone():
    bundle = files(manifest=[("file.classes,bulk", "file.classes,absent"),
                             ("file.enrollments,bulk", "file.enrollments,absent")])
    roster = parse(bundle)
    assert not roster.manages_classes and not roster.classes


def test_a_zip_with_a_folder_inside_reads_like_the_folder():
    assert parse(oneroster.read_bundle(zipped(files(), "export/"))).students.keys() == parse(files()).students.keys()
    with pytest.raises(RosterError, match="not a zip file"):
        oneroster.read_bundle(b"just text")


def test_the_school_org_by_identifier_name_or_choice():
    other = oneroster.Options(school_slug="elsewhere", school_name="Nowhere School")
    found = problems(files(), other)
    assert found[0].file == "orgs.csv" and "S1 (Lincoln Elementary)" in found[0].message
    chosen = oneroster.Options(school_slug="elsewhere", school_name="Nowhere School", org="S2")
    assert list(parse(files(), chosen).students) == ["ST7"]
    assert problems(files(), oneroster.Options("x", "y", org="S9"))[0].message == "no org 'S9' in the bundle"


def test_a_broken_file_is_reported_whole_not_only_its_first_problem():
    found = problems(files(users=[('"G1,G2",03', '"G1,G9",03'), ("ST6,,,", "ST5,,,")]))
    assert {(p.line, p.column) for p in found} == {(5, "agentSourcedIds"), (10, "sourcedId")}


def test_a_control_character_names_its_place():
    found = problems(files(users=("Minh,Nguyen", "Mi\x00nh,Nguyen")))
    assert found == [Problem("users.csv", 8, "givenName", "a control character (U+0000) is not allowed")]
