"""The demo school: realistic, deterministic for a seed, loaded in seconds.

Riverside Elementary plans a month of family events across the March
daylight-saving change: 1,500 families in seven languages with the weekly
availability working parents really have (evenings, some Saturday
mornings), twelve rooms, ten interpreters, four childcare rooms and forty
events still in draft, waiting for the planner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from collections.abc import Sequence
from pathlib import Path

from resources.services import DEFAULT_RATIOS
from resources.tables import (
    ChildcareRatio,
    ChildcareResource,
    ChildcareStaffing,
    Interpreter,
    InterpreterAvailability,
    Room,
    RoomAvailability,
    School,
)
from scheduler.accounts.tables import User
from scheduler.core.auth import hash_api_token, new_api_token
from scheduler.core.db import writing
from scheduler.core.grades import audience_tag
from scheduler.core.timeutil import utcnow
from scheduler.demo.attendance import add_past_events
from scheduler.events.tables import Event
from scheduler.families.tables import Child, EventInterest, Family, FamilyAvailability
from scheduler.topics.tables import Topic, TopicVote

TIMEZONE = "America/Chicago"
FIRST_DAY = dt.date(2027, 3, 1)  # a Monday; clocks change on Sunday 14 March
WEEKS = 4
BATCH = 400

LANGUAGES = [("en", 0.55), ("es", 0.22), ("vi", 0.06), ("zh", 0.05), ("ar", 0.05), ("so", 0.04), ("ht", 0.03)]
SURNAMES = {
    "en": ["Johnson", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "White"],
    "es": ["García", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Flores", "Reyes"],
    "vi": ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"],
    "zh": ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao"],
    "ar": ["Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Hassan", "Aziz", "Farah"],
    "so": ["Abdi", "Mohamed", "Ali", "Hassan", "Warsame", "Farah", "Osman", "Yusuf"],
    "ht": ["Joseph", "Jean-Baptiste", "Pierre", "Louis", "Charles", "Desir", "Etienne", "Noel"],
}
GIVEN = ["Ana", "Luis", "Mai", "Minh", "Wei", "Ling", "Omar", "Layla", "Hodan", "Ahmed", "Marie", "Jean",
         "Emma", "Noah", "Sofia", "Mateo", "Ava", "Liam", "Amina", "Yusuf", "Lan", "Bao", "Chloe", "Daniel"]
GRADES = ["K", "1", "2", "3", "4", "5"]
ROOMS = [
    ("Library", 80, ["accessible"]), ("Cafeteria", 250, ["accessible", "kitchen"]), ("Gym", 300, ["accessible", "stage"]),
    ("Auditorium", 180, ["accessible", "stage"]), ("Music Room", 45, ["accessible"]), ("Art Room", 35, []),
    ("Room 101", 30, ["accessible"]), ("Room 102", 30, []), ("Room 204", 28, []), ("Computer Lab", 32, ["accessible"]),
    ("Family Center", 40, ["accessible", "kitchen"]), ("Staff Lounge", 20, []),
]
INTERPRETERS = [("Rosa Delgado", ["es"]), ("Miguel Ortega", ["es", "pt"]), ("Lucia Vargas", ["es"]),
                ("Thanh Pham", ["vi"]), ("Mei Chen", ["zh"]), ("Karim Haddad", ["ar"]), ("Fadumo Warsame", ["so"]),
                ("Jean-Claude Pierre", ["ht", "fr"]), ("Hoa Tran", ["vi", "zh"]), ("Samira Aziz", ["ar", "so"])]
EVENTS = [
    ("Family Math Night", "workshop", 90), ("Reading Together at Home", "workshop", 60),
    ("Kindergarten Readiness", "workshop", 60), ("Understanding Report Cards", "workshop", 45),
    ("Internet Safety for Parents", "workshop", 60), ("Family Budget Basics", "workshop", 90),
    ("Science Fair Showcase", "cultural", 120), ("Spring Music Concert", "cultural", 90),
    ("Cultural Potluck", "cultural", 120), ("Lunar New Year Celebration", "cultural", 90),
    ("PTA Meeting", "meeting", 60), ("School Site Council", "meeting", 60),
    ("Supporting Homework", "workshop", 60), ("Healthy Meals on a Budget", "workshop", 90),
    ("Bilingual Story Hour", "cultural", 45), ("Summer Programs Info Night", "meeting", 60),
    ("Testing Season: What to Expect", "workshop", 60), ("Art Walk", "cultural", 90),
    ("Immigration Resources Clinic", "meeting", 90), ("Father & Child Breakfast", "cultural", 60),
]


@dataclasses.dataclass
class DemoLoaded:
    summary: str
    token_lines: list[str]


def _pick_language(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for code, p in LANGUAGES:
        acc += p
        if x < acc:
            return code
    return "en"


def _weekdays() -> list[dt.date]:
    return [FIRST_DAY + dt.timedelta(d) for d in range(7 * WEEKS) if (FIRST_DAY + dt.timedelta(d)).weekday() < 5]


async def insert_rows(table, rows: Sequence) -> list[int]:
    """Insert in batches (one multi-row INSERT each), returning the new ids in order; the demos' bulk loader."""
    ids: list[int] = []
    for i in range(0, len(rows), BATCH):
        result = await table.insert(*rows[i:i + BATCH]).returning(table.id).run()
        ids.extend(r["id"] for r in result)
    return ids


@dataclasses.dataclass(frozen=True)
class SchoolSpec:
    """What differs between demo schools: name, address, size, and who interprets there.

    ``first_family`` numbers the families' e-mail addresses, so that the
    schools of a district never share one; ``interpreter_mail`` tags the
    interpreters' addresses the same way (empty for the single demo school).
    """

    name: str = "Riverside Elementary"
    slug: str = "riverside"
    families: int = 1500
    first_family: int = 1
    interpreters: tuple[tuple[str, tuple[str, ...]], ...] = tuple((n, tuple(langs)) for n, langs in INTERPRETERS)
    interpreter_mail: str = ""


@dataclasses.dataclass
class SchoolBuilt:
    """The ids of what ``build_school`` inserted, for the users, plans and conferences laid on top."""

    school_id: int
    room_ids: list[int]
    interpreter_ids: list[int]
    childcare_ids: list[int]
    event_ids: list[int]
    family_ids: list[int]
    families: list[Family]
    children: int


async def build_school(rng: random.Random, spec: SchoolSpec) -> SchoolBuilt:
    """Insert one school's rooms, interpreters, childcare, draft events and families; no users.

    Every choice comes from ``rng`` in a fixed order, so one seed gives the
    same school on either engine. The caller holds the write transaction:
    a school is there whole or not at all.
    """
    school_id = (await insert_rows(School, [School(name=spec.name, slug=spec.slug, timezone=TIMEZONE,
                                               languages=sorted(c for c, _ in LANGUAGES))]))[0]
    room_ids = await insert_rows(Room, [Room(school=school_id, name=n, capacity=c, tags=t) for n, c, t in ROOMS])
    room_avail = []
    for rid in room_ids:
        for wd in range(5):
            room_avail.append(RoomAvailability(room=rid, weekday=wd, start_minute=15 * 60, end_minute=21 * 60))
        if rng.random() < 0.4:
            room_avail.append(RoomAvailability(room=rid, weekday=5, start_minute=9 * 60, end_minute=13 * 60))
    await insert_rows(RoomAvailability, room_avail)

    interp_ids = await insert_rows(Interpreter, [
        Interpreter(school=school_id, name=n,
                    email=f"{n.split()[0].lower()}{spec.interpreter_mail}@interpreters.example.org",
                    languages=list(langs), max_events_per_day=rng.choice([1, 2, 2, 3]))
        for n, langs in spec.interpreters])
    interp_avail = []
    for iid in interp_ids:
        start, end = rng.choice([(16 * 60, 20 * 60), (17 * 60, 21 * 60), (15 * 60, 19 * 60 + 30)])
        for wd in sorted(rng.sample(range(5), rng.choice([3, 4, 5]))):
            interp_avail.append(InterpreterAvailability(interpreter=iid, weekday=wd, start_minute=start,
                                                        end_minute=end))
    await insert_rows(InterpreterAvailability, interp_avail)

    care_ids = await insert_rows(ChildcareResource, [
        ChildcareResource(school=school_id, name=name, room=room_ids[ri], capacity=cap)
        for name, ri, cap in [("Kids' Corner", 5, 20), ("Little Learners", 7, 15), ("Homework Club", 8, 25),
                              ("Family Center Playroom", 10, 12)]])
    staffing, ratios = [], []
    for cid in care_ids:
        for wd in range(5):
            staffing.append(ChildcareStaffing(childcare=cid, weekday=wd, start_minute=15 * 60 + 30,
                                              end_minute=21 * 60, staff=rng.choice([2, 2, 3])))
        ratios += [ChildcareRatio(childcare=cid, age_band=b, children_per_staff=n) for b, n in DEFAULT_RATIOS.items()]
    await insert_rows(ChildcareStaffing, staffing)
    await insert_rows(ChildcareRatio, ratios)

    days = [FIRST_DAY + dt.timedelta(d) for d in range(7 * WEEKS)]
    event_rows = []
    for i in range(40):
        title, kind, dur = EVENTS[i % len(EVENTS)]
        if i >= len(EVENTS):
            title = f"{title} (session 2)"
        first = rng.randrange(len(days) - 7)
        last = min(len(days) - 1, first + rng.choice([5, 7, 10, 14]))
        audience = rng.choice([[], [], [audience_tag(rng.choice(GRADES))]])
        event_rows.append(Event(
            school=school_id, kind=kind, title=title, duration_minutes=dur,
            description=f"{title} at {spec.name}. Families of all languages welcome.",
            earliest_date=days[first], latest_date=days[last], min_capacity=rng.choice([20, 30, 40, 60, 80]),
            room_tags=rng.choice([[], ["accessible"], ["accessible"], ["stage"], ["kitchen"]]) if kind != "cultural"
            else ["accessible"], audience=audience, interpreter_languages=[],
            childcare_children=rng.choice([0, 6, 10, 12]), status="draft"))
    event_ids = await insert_rows(Event, event_rows)
    events_by_grade: dict[str, list[int]] = {audience_tag(g): [] for g in GRADES}
    school_wide = []
    for eid, ev in zip(event_ids, event_rows):
        (events_by_grade[ev.audience[0]] if ev.audience else school_wide).append(eid)

    family_rows, family_meta = [], []
    for i in range(spec.families):
        lang = _pick_language(rng)
        surname = rng.choice(SURNAMES[lang])
        guardians = [f"{rng.choice(GIVEN)} {surname}" for _ in range(rng.choice([1, 2, 2]))]
        family_rows.append(Family(school=school_id, name=f"{surname} family", language=lang,
                                  email=f"family{spec.first_family + i}@families.example.org", guardians=guardians))
        family_meta.append(lang)
    family_ids = await insert_rows(Family, family_rows)

    children, availability, interests = [], [], []
    need: dict[int, dict[str, int]] = {eid: {} for eid in event_ids}
    patterns = [(18 * 60, 20 * 60 + 30), (17 * 60 + 30, 19 * 60 + 30), (18 * 60 + 30, 21 * 60), (16 * 60, 18 * 60)]
    for fid, lang in zip(family_ids, family_meta):
        grades = [rng.choice(GRADES) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        for g in grades:
            children.append(Child(family=fid, first_name=rng.choice(GIVEN), grade=g, age_band="school-age"))
        if rng.random() < 0.25:
            band = rng.choice(["infant", "toddler", "preschool"])
            children.append(Child(family=fid, first_name=rng.choice(GIVEN), grade="pre-k", age_band=band))
        start, end = rng.choice(patterns)
        for wd in range(5):
            if rng.random() < 0.55:
                availability.append(FamilyAvailability(family=fid, weekday=wd, start_minute=start, end_minute=end))
        if rng.random() < 0.35:
            availability.append(FamilyAvailability(family=fid, weekday=5, start_minute=9 * 60, end_minute=12 * 60))
        pool = sorted(set(school_wide + [e for g in grades for e in events_by_grade[audience_tag(g)]]))
        picked = rng.sample(pool, min(len(pool), rng.choice([1, 2, 3, 4])))
        for eid in picked:
            interests.append(EventInterest(family=fid, event=eid, choice="yes"))
            if lang != "en":
                need[eid][lang] = need[eid].get(lang, 0) + 1
        others = [e for e in pool if e not in picked]
        if others and rng.random() < 0.15:  # some families say an event is not for them
            interests.append(EventInterest(family=fid, event=rng.choice(others), choice="no"))
    await insert_rows(Child, children)
    await insert_rows(FamilyAvailability, availability)
    await insert_rows(EventInterest, interests)
    for eid, counts in need.items():
        langs = sorted(c for c, n in sorted(counts.items(), key=lambda kv: -kv[1])[:2] if n >= 3)
        if langs:
            await Event.update({Event.interpreter_languages: langs}).where(Event.id == eid).run()
    return SchoolBuilt(school_id=school_id, room_ids=room_ids, interpreter_ids=interp_ids, childcare_ids=care_ids,
                       event_ids=event_ids, family_ids=family_ids, families=family_rows, children=len(children))


def write_token_file(path: Path, lines: list[str]) -> None:
    """Keep the printed sign-in lines beside the database, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


TOPICS = [  # what the families of a school like this ask for, with the school's translations
    ("Helping with homework", {"es": "Cómo ayudar con la tarea", "vi": "Giúp con làm bài tập về nhà",
                               "zh": "如何辅导孩子做作业", "ar": "مساعدة الأطفال في الواجبات المنزلية"}),
    ("Reading at home with young children", {"es": "Leer en casa con niños pequeños", "vi": "Đọc sách ở nhà với trẻ nhỏ",
                                             "zh": "在家和孩子一起阅读", "ar": "القراءة في المنزل مع الأطفال الصغار"}),
    ("Understanding the report card", {"es": "Cómo entender la boleta de calificaciones",
                                       "vi": "Hiểu phiếu điểm của con", "zh": "如何看懂成绩单", "ar": "فهم بطاقة التقرير"}),
    ("Screen time and online safety", {"es": "El tiempo frente a la pantalla y la seguridad en internet",
                                       "vi": "Thời gian dùng màn hình và an toàn trên mạng", "zh": "屏幕时间与网络安全",
                                       "ar": "وقت الشاشة والأمان على الإنترنت"}),
]


async def add_topics(rng: random.Random, school_id: int, family_ids: Sequence[int]) -> None:
    """Four topics families vote on; about a third of the families voted for one or two."""
    topic_ids = await insert_rows(Topic, [Topic(school=school_id, title=t, translations=json.dumps(tr, ensure_ascii=False))
                                          for t, tr in TOPICS])
    weights = [5, 3, 2, 4]
    votes = []
    for fid in family_ids:
        if rng.random() < 0.35:
            for tid in set(rng.choices(topic_ids, weights=weights, k=rng.choice([1, 2]))):
                votes.append(TopicVote(topic=tid, family=fid))
    await insert_rows(TopicVote, votes)


async def load_demo(seed: int = 2027, base_url: str = "http://127.0.0.1:8000",
                    families: int = 1500, token_file: Path | None = None) -> DemoLoaded | None:
    """Load the demo school unless the database already holds a school."""
    if await School.count().run():
        return None
    rng = random.Random(seed)
    async with writing():
        built = await build_school(rng, SchoolSpec(families=families))
        school_id, family_rows, family_ids = built.school_id, built.families, built.family_ids
        tokens = {"district": new_api_token(), "admin": new_api_token(), "family": new_api_token(),
                  "interpreter": new_api_token()}
        await add_topics(random.Random(seed + 1), school_id, family_ids)
        await add_past_events(random.Random(seed + 2), school_id, family_ids, utcnow().date(), TIMEZONE)
        # the family whose token is printed reads English, so a newcomer reads the page they expect
        shown = next(i for i, f in enumerate(family_rows) if f.language == "en")
        await insert_rows(User, [
            User(role="admin", name="Sam Okafor (district office)", email="district@riverside.example.org",
                 school=None, token_hash=hash_api_token(tokens["district"])),
            User(role="admin", name="Dana Brooks (principal)", email="principal@riverside.example.org",
                 school=school_id, token_hash=hash_api_token(tokens["admin"])),
            User(role="family", name=family_rows[shown].guardians[0], email=family_rows[shown].email,
                 school=school_id, family=family_ids[shown], token_hash=hash_api_token(tokens["family"])),
            User(role="interpreter", name=INTERPRETERS[0][0], email="rosa@interpreters.example.org", school=school_id,
                 interpreter=built.interpreter_ids[0], token_hash=hash_api_token(tokens["interpreter"])),
        ])

    lines = [f"{role:12s} token: {tok}" for role, tok in tokens.items()]
    lines.append(f"try: curl -H 'Authorization: Bearer {tokens['admin']}' {base_url}/schools/riverside/events")
    if token_file is not None:
        write_token_file(token_file, lines)
    summary = (f"Riverside Elementary: {len(family_ids)} families ({built.children} children, "
               f"{len(LANGUAGES)} languages), {len(built.room_ids)} rooms, {len(built.interpreter_ids)} interpreters, "
               f"{len(built.childcare_ids)} childcare rooms, {len(built.event_ids)} draft events over {WEEKS} weeks")
    return DemoLoaded(summary=summary, token_lines=lines)
