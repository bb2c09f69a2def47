"""Importing a roster: read it, compare it with the school (``plan.py``), write the difference in one
transaction.

The files are read and checked before any transaction opens (a broken file writes nothing and
holds no lock); the snapshot, the plan and every write then happen in one ``@use_case``
transaction that first locks the school's row, so two imports of one school run one after the
other and each sees what the other wrote. A dry run computes the same plan and writes nothing.

Families the roster creates get a sign-in account (``User``, role ``family``, the family's
e-mail) whose API token is random and thrown away: nobody ever sees it, the family signs in by
asking for an e-mailed link at /signin (see ``invitations.py``). Teachers get no account yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from piccolo.table import Table

from resources.services import school_by_slug
from resources.tables import School
from scheduler.accounts.tables import User
from scheduler.core.auth import Principal, hash_api_token, new_api_token, require_admin
from scheduler.core.db import locked, use_case
from scheduler.core.errors import InvalidInput, NotFound
from scheduler.core.phones import default_channels
from scheduler.core.settings import Settings
from scheduler.core.timeutil import utcnow
from scheduler.families.services import canonical_grade
from scheduler.families.tables import Child, Family
from scheduler.roster import oneroster, simple_csv
from scheduler.roster.households import households
from scheduler.roster.model import Problem, Roster, RosterError
from scheduler.roster.plan import ChildRow, FamilyRow, Plan, Snapshot, StaffRow, Step, plan
from scheduler.roster.schemas import ImportReport, KindCounts
from scheduler.roster.tables import ClassEnrollment, RosterChild, RosterFamily, RosterImport, SchoolClass, Teacher

CHUNK = 500  # rows per INSERT / ids per IN (): far below both engines' bound-parameter limits
ZIP_MAGIC = b"PK\x03\x04"
# OneRoster (CEDS) grades below pre-k: infant/toddler and preschool, both "pre-k" to the planner
EARLY_GRADES = {"it": ("pre-k", "toddler"), "pr": ("pre-k", "preschool")}
MAX_NOTES = 200


def read_roster(source: Path | bytes, school: dict[str, Any], settings: Settings, org: str | None = None,
                filename: str = "") -> Roster:
    """A folder or a zip is a OneRoster bundle; any other file is the simple template."""
    options = oneroster.Options(school_slug=school["slug"], school_name=school["name"], org=org or None,
                                language_column=settings.roster_language_column,
                                household_column=settings.roster_household_column)
    try:
        if isinstance(source, Path) and source.is_dir():
            return oneroster.parse(oneroster.read_bundle(source), options)
        if isinstance(source, Path):
            source, filename = source.read_bytes(), source.name
        if source.startswith(ZIP_MAGIC):
            return oneroster.parse(oneroster.read_bundle(source), options)
        return simple_csv.parse(source, filename or simple_csv.FILE)
    except RosterError as exc:
        raise InvalidInput([(f"{p.file}:{p.line}:{p.column}", str(p)) for p in exc.problems]) from exc


def child_values(roster: Roster) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """First name, canonical grade and the age band it implies, per student; a note per unknown grade."""
    where = ("users.csv", "grades") if roster.source == "oneroster" else (simple_csv.FILE, "grade")
    out, notes = {}, []
    for sid, student in roster.students.items():
        raw = student.grade
        grade, band = EARLY_GRADES.get(raw.casefold(), (canonical_grade(raw) if raw else None, ""))
        if grade is None:
            notes.append(Problem(where[0], student.line, where[1],
                                 f"unknown grade {raw!r}: {student.given_name} is imported without a grade"))
            grade = ""
        band = band or ("preschool" if grade == "pre-k" else "school-age")
        out[sid] = {"first_name": student.given_name[:80], "grade": grade, "age_band": band}
    return out, notes


async def load_snapshot(school_id: int) -> Snapshot:
    """What the school has now: roster families and children with their current values, staff, classes."""
    current = {f["id"]: f for f in await Family.select(
        Family.id, Family.name, Family.email, Family.language, Family.guardians, Family.phone).where(
        Family.school == school_id).run()}
    families = [FamilyRow(id=r["id"], family_id=r["family"], user_id=r["user"], key=r["key"],
                          guardians=tuple(r["guardians"] or ()), sis=json.loads(r["sis"]), active=r["active"],
                          current=_family_fields(current.get(r["family"], {})))
                for r in await RosterFamily.select().where(RosterFamily.school == school_id).order_by(
                    RosterFamily.id).run()]
    kids = {c["id"]: c for c in await Child.select(Child.id, Child.first_name, Child.grade, Child.age_band).where(
        Child.family.school == school_id).run()}
    children = [ChildRow(id=r["id"], roster_family=r["roster_family"], sourced_id=r["sourced_id"], child_id=r["child"],
                         sis=json.loads(r["sis"]), active=r["active"],
                         current={k: kids.get(r["child"], {}).get(k) for k in ("first_name", "grade", "age_band")})
                for r in await RosterChild.select(
                    RosterChild.id, RosterChild.roster_family, RosterChild.sourced_id, RosterChild.child,
                    RosterChild.sis, RosterChild.active).where(RosterChild.roster_family.school == school_id
                                                               ).order_by(RosterChild.id).run()]
    teacher_rows = await Teacher.select().where(Teacher.school == school_id).run()
    teacher_sid = {t["id"]: t["sourced_id"] for t in teacher_rows}
    teachers = {t["sourced_id"]: StaffRow(t["id"], {"name": t["name"], "email": t["email"]}, t["active"])
                for t in teacher_rows}
    classes = {c["sourced_id"]: StaffRow(c["id"], {"name": c["name"], "grades": list(c["grades"] or []),
                                                   "teacher": teacher_sid.get(c["teacher"], "")}, c["active"])
               for c in await SchoolClass.select().where(SchoolClass.school == school_id).run()}
    enrollments = {(e["school_class"], e["child"]): StaffRow(e["id"], {}, e["active"]) for e in
                   await ClassEnrollment.select(ClassEnrollment.id, ClassEnrollment.school_class, ClassEnrollment.child,
                                                ClassEnrollment.active).where(
                       ClassEnrollment.school_class.school == school_id).run()}
    return Snapshot(families=families, children=children, teachers=teachers, classes=classes, enrollments=enrollments)


def _family_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row.get("name"), "email": row.get("email"), "language": row.get("language"),
            "guardians": list(row.get("guardians") or []), "phone": row.get("phone") or ""}


def school_language(school: dict[str, Any]) -> str:
    """The language a family gets when the roster gives none we know: the school's first."""
    return (school.get("languages") or ["en"])[0]


def compute(roster: Roster, school: dict[str, Any], snapshot: Snapshot) -> Plan:
    values, notes = child_values(roster)
    result = plan(roster, households(roster), snapshot, school_language(school), values)
    result.notes[len(roster.notes):len(roster.notes)] = notes
    return result


async def _insert(table: type[Table], rows: list[Table]) -> list[int]:
    """Insert in chunks; the new ids in the order of ``rows``.

    Sorted rather than in the order RETURNING lists them, which neither engine promises: both
    hand out the serial ids of one multi-row INSERT in the order of its VALUES.
    """
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        result = await table.insert(*rows[i:i + CHUNK]).returning(table.id).run()
        ids.extend(sorted(r["id"] for r in result))
    return ids


async def _set(table: type[Table], ids: list[int], values: dict) -> None:
    for i in range(0, len(ids), CHUNK):
        await table.update(values).where(table.id.is_in(ids[i:i + CHUNK])).run()


def _columns(table: type[Table], writes: dict[str, Any]) -> dict:
    return {getattr(table, k): v for k, v in writes.items()}


async def _staff(p: Plan, school_id: int, snapshot: Snapshot, now) -> dict[str, int]:
    """Teachers then classes (a class names its teacher); returns class sourcedId -> id."""
    teacher_ids = {sid: row.id for sid, row in snapshot.teachers.items()}
    new = p.creates["teachers"]
    teacher_ids |= zip((s.ref for s in new), await _insert(Teacher, [
        Teacher(school=school_id, sourced_id=s.ref, **s.writes) for s in new]))
    class_ids = {sid: row.id for sid, row in snapshot.classes.items()}
    new = p.creates["classes"]
    class_ids |= zip((s.ref for s in new), await _insert(SchoolClass, [
        SchoolClass(school=school_id, sourced_id=s.ref, **{**s.writes, "teacher": teacher_ids.get(s.writes["teacher"])})
        for s in new]))
    for table, kind in ((Teacher, "teachers"), (SchoolClass, "classes")):
        for s in p.updates[kind]:
            writes = {**s.writes, "active": True, "updated_at": now}
            if "teacher" in writes:
                writes["teacher"] = teacher_ids.get(writes["teacher"])
            await table.update(_columns(table, writes)).where(table.id == s.row).run()
        await _set(table, [i for i, _ in p.deactivates[kind]], {table.active: False, table.updated_at: now})
    return class_ids


async def _families(p: Plan, school_id: int, snapshot: Snapshot, now) -> dict[Any, tuple[int, int]]:
    """Families, their sign-in accounts and roster rows; returns family ref -> (roster family id, family id)."""
    rows = {r.id: r for r in snapshot.families}
    refs = {r.id: (r.id, r.family_id) for r in rows.values() if r.family_id is not None}
    new = p.creates["families"]
    family_ids = await _insert(Family, [  # channels: what the roster gives (e-mail, text when there is a phone)
        Family(school=school_id, channels=default_channels(s.writes.get("email", ""), s.writes.get("phone", "")),
               **s.writes) for s in new])
    users = await _users(school_id, [(fid, s.writes) for s, fid in zip(new, family_ids)])
    roster_ids = await _insert(RosterFamily, [
        RosterFamily(school=school_id, family=fid, user=users.get(fid), key=s.internal["key"],
                     guardians=s.internal["guardians"], sis=json.dumps(s.internal["sis"]))
        for s, fid in zip(new, family_ids)])
    refs |= {s.ref: (rid, fid) for s, rid, fid in zip(new, roster_ids, family_ids)}
    for s in [*p.updates["families"], *p.touches["families"]]:
        row = rows[s.row]
        if s.writes:
            await Family.update(_columns(Family, {**s.writes, "updated_at": now})).where(
                Family.id == row.family_id).run()
        values: dict = {RosterFamily.updated_at: now, RosterFamily.active: True}
        if "email" in s.writes and row.user_id is not None:
            await User.update({User.email: s.writes["email"]}).where(User.id == row.user_id).run()
        elif "email" in s.writes:
            made = await _users(school_id, [(row.family_id, {**row.current, **s.writes})])
            values[RosterFamily.user] = made.get(row.family_id)
        if "sis" in s.internal:
            values[RosterFamily.sis] = json.dumps(s.internal["sis"])
        if "key" in s.internal:
            values |= {RosterFamily.key: s.internal["key"], RosterFamily.guardians: s.internal["guardians"]}
        await RosterFamily.update(values).where(RosterFamily.id == s.row).run()
    await _set(RosterFamily, [i for i, _ in p.deactivates["families"]],
               {RosterFamily.active: False, RosterFamily.updated_at: now})
    return refs


async def _users(school_id: int, families: list[tuple[int, dict[str, Any]]]) -> dict[int, int]:
    """A family sign-in account per family with an e-mail address; its API token is never kept or shown."""
    wanted = [(fid, v) for fid, v in families if "@" in (v.get("email") or "")]
    ids = await _insert(User, [User(role="family", name=(list(v["guardians"]) or [v["name"]])[0][:120],
                                    email=v["email"], school=school_id, family=fid,
                                    token_hash=hash_api_token(new_api_token())) for fid, v in wanted])
    return {fid: uid for (fid, _), uid in zip(wanted, ids)}


async def _children(p: Plan, refs: dict[Any, tuple[int, int]], now) -> dict[Any, int]:
    """Children and their roster rows; returns child ref -> child id."""
    new = p.creates["children"]
    child_ids = await _insert(Child, [Child(family=refs[s.parent][1], **s.writes) for s in new])
    await _insert(RosterChild, [RosterChild(roster_family=refs[s.parent][0], sourced_id=s.ref[2], child=cid,
                                            sis=json.dumps(s.internal["sis"])) for s, cid in zip(new, child_ids)])
    touched = {refs[s.parent][1] for s in [*new, *p.updates["children"]]}
    for s in [*p.updates["children"], *p.touches["children"]]:
        if s.writes:
            await Child.update(_columns(Child, s.writes)).where(Child.id == s.ref).run()
        values: dict = {RosterChild.active: True}
        if "sis" in s.internal:
            values[RosterChild.sis] = json.dumps(s.internal["sis"])
        await RosterChild.update(values).where(RosterChild.id == s.row).run()
    await _set(RosterChild, [i for i, _ in p.deactivates["children"]], {RosterChild.active: False})
    await _set(Family, sorted(touched), {Family.updated_at: now})  # a family's children changed: its row did
    return {s.ref: cid for s, cid in zip(new, child_ids)}


async def _enrollments(p: Plan, class_ids: dict[str, int], child_ids: dict[Any, int]) -> None:
    def resolve(step: Step) -> ClassEnrollment:
        cls, child = step.parent
        return ClassEnrollment(school_class=cls if isinstance(cls, int) else class_ids[cls[1]],
                               child=child if isinstance(child, int) else child_ids[child])

    await _insert(ClassEnrollment, [resolve(s) for s in p.creates["enrollments"]])
    await _set(ClassEnrollment, [s.row for s in p.updates["enrollments"]], {ClassEnrollment.active: True})
    await _set(ClassEnrollment, [i for i, _ in p.deactivates["enrollments"]], {ClassEnrollment.active: False})


@use_case
async def _sync(school: dict[str, Any], roster: Roster, actor: Principal | None, filename: str, org: str,
                preview_id: int | None) -> tuple[Plan, int]:
    """The one transaction of an import: lock the school, read, plan, write, record."""
    await locked(School.select(School.id).where(School.id == school["id"])).run()
    # families and children that deleted themselves keep only their SIS ids (see tables.py)
    await RosterFamily.update({RosterFamily.sis: "{}"}).where(
        (RosterFamily.school == school["id"]) & RosterFamily.family.is_null() & (RosterFamily.sis != "{}")).run()
    await RosterChild.update({RosterChild.sis: "{}"}).where(
        (RosterChild.roster_family.school == school["id"]) & RosterChild.child.is_null()
        & (RosterChild.sis != "{}")).run()
    snapshot = await load_snapshot(school["id"])
    p = compute(roster, school, snapshot)
    now = utcnow()
    class_ids = await _staff(p, school["id"], snapshot, now)
    refs = await _families(p, school["id"], snapshot, now)
    await _enrollments(p, class_ids, await _children(p, refs, now))
    record = {"status": "applied", "counts": json.dumps(p.counts()), "notes": len(p.notes), "applied_at": now,
              "bundle": None}
    if preview_id is not None:
        await RosterImport.update(_columns(RosterImport, record)).where(RosterImport.id == preview_id).run()
        return p, preview_id
    row = RosterImport(school=school["id"], source=roster.source, filename=filename[:200], org=org or "",
                       **record)
    return p, (await _insert(RosterImport, [row]))[0]


def report(source: str, p: Plan, dry_run: bool, import_id: int | None = None) -> ImportReport:
    return ImportReport(source=source, dry_run=dry_run,
                        counts={k: KindCounts(**v) for k, v in p.counts().items()}, examples=p.examples(),
                        notes=[str(n) for n in p.notes[:MAX_NOTES]], notes_total=len(p.notes), import_id=import_id)


async def import_roster(actor: Principal | None, slug: str, source: Path | bytes, settings: Settings, *,
                        dry_run: bool = False, org: str | None = None, filename: str = "") -> ImportReport:
    """Import (or with ``dry_run`` only compare) a roster. ``actor`` None: the command line, whose
    operator holds the database already."""
    school = await school_by_slug(slug)
    if actor is not None:
        require_admin(actor, school["id"])
    roster = read_roster(source, school, settings, org, filename)
    if dry_run:
        return report(roster.source, compute(roster, school, await load_snapshot(school["id"])), True)
    p, import_id = await _sync(school, roster, actor, filename, org or "", None)
    return report(roster.source, p, False, import_id)



async def preview_upload(actor: Principal, slug: str, content: bytes, settings: Settings, filename: str = "",
                         org: str = "") -> ImportReport:
    """A page's first step: the dry run, and the file kept (one per school) until the admin applies it.

    Kept in the database rather than asked for again: a browser cannot re-send a chosen file,
    and the app's processes share no disk.
    """
    result = await import_roster(actor, slug, content, settings, dry_run=True, org=org, filename=filename)
    school = await school_by_slug(slug)

    @use_case
    async def keep() -> int:
        await RosterImport.delete().where((RosterImport.school == school["id"])
                                          & (RosterImport.status == "preview")).run()
        row = RosterImport(school=school["id"], status="preview", source=result.source, filename=filename[:200],
                           org=org, bundle=content, counts=json.dumps(_counts(result)),
                           notes=result.notes_total)
        return (await _insert(RosterImport, [row]))[0]

    result.import_id = await keep()
    return result


def _counts(result: ImportReport) -> dict[str, dict[str, int]]:
    return {k: {"created": c.created, "updated": c.updated, "deactivated": c.deactivated, "unchanged": c.unchanged}
            for k, c in result.counts.items()}


async def apply_upload(actor: Principal, slug: str, import_id: int, settings: Settings) -> ImportReport:
    """The page's second step: import the file of a preview of this school (computed again, in one transaction)."""
    school = await school_by_slug(slug)
    require_admin(actor, school["id"])
    row = await RosterImport.select().where((RosterImport.id == import_id) & (RosterImport.school == school["id"])
                                            & (RosterImport.status == "preview")).first().run()
    if row is None:
        raise NotFound("this preview was applied or replaced; upload the file again", "import_id")
    roster = read_roster(bytes(row["bundle"]), school, settings, row["org"], row["filename"])
    p, _ = await _sync(school, roster, actor, row["filename"], row["org"], import_id)
    return report(roster.source, p, False, import_id)


async def recent_imports(school_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The school's last imports, newest first, for the page's history."""
    rows = await RosterImport.select(
        RosterImport.id, RosterImport.source, RosterImport.filename, RosterImport.counts, RosterImport.notes,
        RosterImport.applied_at).where((RosterImport.school == school_id) & (RosterImport.status == "applied")
                                       ).order_by(RosterImport.id, ascending=False).limit(limit).run()
    return [{**r, "counts": json.loads(r["counts"])} for r in rows]
