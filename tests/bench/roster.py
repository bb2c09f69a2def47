"""Roster import at district scale: a generated 20,000-student OneRoster 1.1 bundle, imported for real.

    .venv/bin/python tests/bench/roster.py                      # both engines, 20,000 students in 10 schools
    .venv/bin/python tests/bench/roster.py --engines sqlite --students 2000 --schools 2
    .venv/bin/python tests/bench/roster.py --keep bundle.zip     # also write the bundle out

The bundle (deterministic for a seed) is what a district's SIS exports: orgs (the district and its
schools), users (students, guardians, teachers), courses, classes (a homeroom per teacher and
specials), enrolments, academic sessions and the manifest. Households have 1.7 students on
average, 7 % of them are split (each parent in a home of their own, both linked to the children),
a third carry a household id, guardians speak several languages written as codes or English names
(a few misspelt, which the import reports), 3 % of guardians have no e-mail address.

For each engine a fresh process (so ``ru_maxrss`` is the importing process's own peak) migrates a
throwaway database, creates the schools and calls ``scheduler.roster.sync.import_roster`` -- what
``family-bridge roster import`` and the API call -- with the zip's bytes:

* ``district``: every school of the bundle imported in turn (each import reads and checks the whole
  district bundle, one transaction per school), then all again (the sync must change nothing);
* ``one school``: the same 20,000 students as one school, one transaction (the worst case).

Prints a Markdown table: seconds and peak memory per engine and case.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from resources.tables import School  # noqa: E402
from scheduler.core.settings import Settings  # noqa: E402
from scheduler.roster.sync import import_roster  # noqa: E402
from tests.conftest import TEST_SECRET  # noqa: E402
from tests.integration.helpers import BoundDatabase, ThrowawayDatabase  # noqa: E402

USERS = ["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds",
         "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
         "password", "metadata.homeLanguage", "metadata.householdId"]
SURNAMES = ["García", "Nguyen", "Smith", "Hernández", "Chen", "Johnson", "Haddad", "Ali", "Martínez", "Brown", "Kim",
            "Pérez", "Tran", "Williams", "Li", "Jones", "López", "Wang", "Mohamed", "Davis", "Gonzalez", "Ahmed",
            "Rodríguez", "Miller", "Pham", "Wilson", "Hassan", "Lee", "Clark", "Ramírez"]
GIVEN = ["Ana", "Luis", "Mai", "Wei", "Omar", "Sofía", "Mateo", "Lily", "Minh", "Zoe", "Noah", "Emma", "Liam", "Aisha",
         "Yusuf", "Olivia", "Ethan", "Mia", "Lucas", "Amira", "Diego", "Hana", "Kevin", "Linh", "Fatima", "Jonah"]
LANGUAGES = [("en", 55), ("es", 22), ("Spanish", 3), ("vi", 4), ("Vietnamese", 1), ("zh", 4), ("Chinese", 1),
             ("ar", 4), ("so", 2), ("ht", 2), ("Hmong", 1), ("Spansh", 0.5), ("", 0.5)]
GRADES = ["KG", "01", "02", "03", "04", "05"]
CHILDREN = [(1, 50), (2, 33), (3, 13), (4, 4)]  # students per household: 1.71 on average


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def generate(students: int, schools: int, seed: int) -> bytes:
    """The district's bundle as zip bytes."""
    rng = random.Random(seed)
    pick = lambda table: rng.choices([v for v, _ in table], [w for _, w in table])[0]  # noqa: E731
    users: list[list[str]] = []
    enrollments: list[list[str]] = []
    classes: list[list[str]] = []
    orgs = [["D1", "", "", "Riverside District", "district", "riverside", ""]]
    orgs += [[f"S{s}", "", "", f"School {s}", "school", f"school-{s}", "D1"] for s in range(1, schools + 1)]
    homerooms: dict[tuple[int, str], list[str]] = {}
    for s in range(1, schools + 1):  # a teacher per 22 students, a homeroom each, and three specials
        per_grade = max(1, students // schools // len(GRADES) // 22)
        for grade in GRADES:
            for k in range(per_grade):
                tid, cid = f"T{s}-{grade}-{k}", f"C{s}-{grade}-{k}"
                users.append([tid, "", "", "true", f"S{s}", "teacher", tid.lower(), "", rng.choice(GIVEN),
                              rng.choice(SURNAMES), "", tid, f"{tid.lower()}@school{s}.example.org", "", "", "", "",
                              "", "", ""])
                classes.append([cid, "", "", f"Grade {grade} homeroom {k + 1}", grade, "HR", cid, "homeroom",
                                f"Room {k}", f"S{s}", "Y1", "", "", ""])
                enrollments.append([f"E-{cid}-{tid}", "", "", cid, f"S{s}", tid, "teacher", "true", "", ""])
                homerooms.setdefault((s, grade), []).append(cid)
        for special in ("Art", "Music", "PE"):
            tid, cid = f"T{s}-{special}", f"C{s}-{special}"
            users.append([tid, "", "", "true", f"S{s}", "teacher", tid.lower(), "", rng.choice(GIVEN),
                          rng.choice(SURNAMES), "", tid, f"{tid.lower()}@school{s}.example.org", "", "", "", "", "", "",
                          ""])
            classes.append([cid, "", "", special, ",".join(GRADES), special, cid, "scheduled", special, f"S{s}", "Y1",
                            "", "", ""])
            enrollments.append([f"E-{cid}-{tid}", "", "", cid, f"S{s}", tid, "teacher", "true", "", ""])
    made, household = 0, 0
    while made < students:
        household += 1
        n = min(pick(CHILDREN), students - made)
        school = rng.randint(1, schools)
        surname = rng.choice(SURNAMES)
        language = pick(LANGUAGES)
        kids = [f"ST{made + i + 1}" for i in range(n)]
        split = rng.random() < 0.07
        parents = 2 if split or rng.random() < 0.6 else 1
        explicit = rng.random() < 0.33
        guardians = []
        for g in range(parents):
            gid = f"G{household}-{g}"
            family_name = surname if not split or g == 0 else rng.choice(SURNAMES) + "-" + str(household)
            phone = f"555-{household:07d}" if not split or g == 0 else f"556-{household:07d}"
            email = "" if rng.random() < 0.03 else f"{gid.lower()}@mail.example.org"
            home = (f"H{household}" if not split else f"H{household}-{g}") if explicit else ""
            users.append([gid, "", "", "true", "D1", rng.choice(["guardian", "parent", "parent", "relative"]),
                          gid.lower(), "", rng.choice(GIVEN), family_name, "", "", email, "", phone, ",".join(kids), "",
                          "", language if g == 0 else "", home])
            guardians.append(gid)
        for kid in kids:
            grade = rng.choice(GRADES)
            users.append([kid, "", "", "true", f"S{school}", "student", kid.lower(), "", rng.choice(GIVEN), surname,
                          "", kid, "", "", "", ",".join(guardians), grade, "", language, ""])
            homeroom = rng.choice(homerooms[(school, grade)])
            enrollments.append([f"E-{homeroom}-{kid}", "", "", homeroom, f"S{school}", kid, "student", "false", "", ""])
            special = f"C{school}-{rng.choice(['Art', 'Music', 'PE'])}"
            enrollments.append([f"E-{special}-{kid}", "", "", special, f"S{school}", kid, "student", "false", "", ""])
        made += n
    files = {
        "manifest.csv": _csv(["propertyName", "value"], [
            ["manifest.version", "1.0"], ["oneroster.version", "1.1"], ["file.academicSessions", "bulk"],
            ["file.classes", "bulk"], ["file.courses", "bulk"], ["file.demographics", "absent"],
            ["file.enrollments", "bulk"], ["file.orgs", "bulk"], ["file.users", "bulk"],
            ["source.systemName", "Bench SIS"]]),
        "orgs.csv": _csv(["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
                         orgs),
        "academicSessions.csv": _csv(["sourcedId", "status", "dateLastModified", "title", "type", "startDate",
                                      "endDate", "parentSourcedId", "schoolYear"],
                                     [["Y1", "", "", "2026-2027", "schoolYear", "2026-08-15", "2027-06-10", "", "2027"]]),
        "courses.csv": _csv(["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
                             "grades", "orgSourcedId", "subjects", "subjectCodes"],
                            [[c, "", "", "Y1", c, c, "", "D1", "", ""] for c in ("HR", "Art", "Music", "PE")]),
        "classes.csv": _csv(["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
                             "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
                             "subjectCodes", "periods"], classes),
        "users.csv": _csv(USERS, users),
        "enrollments.csv": _csv(["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                                 "userSourcedId", "role", "primary", "beginDate", "endDate"], enrollments),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def _import_all(url: str, bundle: bytes, schools: list[tuple[str, str, str]]) -> dict:
    """Create the schools, import each (org sourcedId given), then again; seconds and what changed."""
    settings = Settings(database_url=url, secret_key=TEST_SECRET)
    async with BoundDatabase(url):
        await School.insert(*[School(name=name, slug=slug, timezone="America/Chicago", languages=["en", "es"])
                              for slug, name, _ in schools]).run()
        out: dict = {"created": 0, "again_changed": 0, "notes": 0}
        started = time.perf_counter()
        for slug, _, org in schools:
            report = await import_roster(None, slug, bundle, settings, org=org)
            out["created"] += sum(c.created for c in report.counts.values())
            out["notes"] += report.notes_total
            out.setdefault("families", 0)
            out["families"] += report.counts["families"].created
        out["import_s"] = time.perf_counter() - started
        started = time.perf_counter()
        for slug, _, org in schools:
            report = await import_roster(None, slug, bundle, settings, org=org)
            out["again_changed"] += sum(c.created + c.updated + c.deactivated for c in report.counts.values())
        out["again_s"] = time.perf_counter() - started
    return out


def child(engine: str, bundle_path: str, schools: int, one_school: bool) -> None:
    """One engine, one case, in this process; prints a JSON line."""
    bundle = Path(bundle_path).read_bytes()
    if one_school:  # every student at one school: rewrite the orgs so S1..Sn are one
        archive = zipfile.ZipFile(io.BytesIO(bundle))
        files = {n: archive.read(n) for n in archive.namelist()}
        for name in ("users.csv", "classes.csv", "enrollments.csv"):
            text = files[name].decode()
            for s in range(schools, 1, -1):
                text = text.replace(f",S{s},", ",S1,")
            files[name] = text.encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in files.items():
                out.writestr(name, data)
        bundle, targets = buffer.getvalue(), [("school-1", "School 1", "S1")]
    else:
        targets = [(f"school-{s}", f"School {s}", f"S{s}") for s in range(1, schools + 1)]
    with ThrowawayDatabase(engine) as db:
        result = asyncio.run(_import_all(db.url, bundle, targets))
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--keep", help="also write the generated bundle to this .zip")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "BUNDLE", "SCHOOLS", "ONE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]), args.child[3] == "1")
        return 0
    started = time.perf_counter()
    bundle = generate(args.students, args.schools, args.seed)
    made_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep or Path(tmp) / "district.zip")
        path.write_bytes(bundle)
        with zipfile.ZipFile(path) as archive:
            size = sum(i.file_size for i in archive.infolist())
            users = archive.read("users.csv").count(b"\n") - 1
        print(f"bundle: {args.students:,} students in {args.schools} schools, {users:,} users.csv rows, "
              f"{len(bundle) / 1e6:.1f} MB zipped ({size / 1e6:.1f} MB of CSV), generated in {made_s:.1f} s\n")
        print("| engine | case | imports | import | re-import (0 changes) | rows created | peak memory |")
        print("|---|---|---|---|---|---|---|")
        for engine in args.engines:
            for one in (False, True):
                run = subprocess.run([sys.executable, __file__, "--child", engine, str(path), str(args.schools),
                                      "1" if one else "0"], capture_output=True, text=True, cwd=ROOT)
                if run.returncode != 0:
                    print(run.stderr[-3000:], file=sys.stderr)
                    return 1
                r = json.loads(run.stdout.strip().splitlines()[-1])
                assert r["again_changed"] == 0, r
                case = "one school" if one else "district"
                n = 1 if one else args.schools
                print(f"| {engine} | {case} | {n} | {r['import_s']:.1f} s | {r['again_s']:.1f} s | {r['created']:,} "
                      f"({r['families']:,} families) | {r['peak_mib']:.0f} MiB |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
