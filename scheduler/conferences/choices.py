"""What a family chooses about its conferences, and who else may see them.

- Per meeting: in person, video or phone (``mode``), and one sentence of what it wants to talk about
  (``topic``). Video uses the teacher's link set by the school; the interpreter joins the same call.
- A second guardian (split households exist): an account on the same family and an e-mail with a
  sign-in link. The e-mail carries no credential (as the roster's invitations): the link opens the
  sign-in page with the address filled in, where a one-time link is sent to that address.
- The school sets each teacher's video link and phone number.
"""

from __future__ import annotations

from urllib.parse import urlencode

from scheduler.accounts.tables import User
from scheduler.conferences import notices
from scheduler.conferences.rows import (
    LIVE,
    admin_window,
    load_family,
    load_school,
    load_teacher,
    load_window,
    meeting_columns,
    meeting_out,
)
from scheduler.conferences.schemas import GuardianInviteIn, MeetingChoiceIn, MeetingOut, TeacherContactIn
from scheduler.conferences.tables import ConferenceMeeting, ConferenceTeacher
from scheduler.core.auth import Principal, hash_api_token, new_api_token, require_family_access
from scheduler.core.db import locked, use_case
from scheduler.core.errors import Conflict, NotFound
from scheduler.core.timeutil import utcnow
from scheduler.families.tables import Family


@use_case
async def choose(actor: Principal, meeting_id: int, data: MeetingChoiceIn) -> MeetingOut:
    """Set how the meeting happens and what the family wants to talk about; an empty topic clears it."""
    row = await locked(ConferenceMeeting.select().where(ConferenceMeeting.id == meeting_id)).first().run()
    if row is None:
        raise NotFound(f"no conference meeting {meeting_id}", "meeting_id")
    window = await load_window(row["window"])
    require_family_access(actor, row["family"], window["school"])
    if window["status"] != "published":
        raise Conflict("these conferences are not published yet", "meeting_id")
    if row["status"] not in LIVE:
        raise Conflict(f"conference meeting {meeting_id} is {row['status']}", "meeting_id")
    values = {ConferenceMeeting.updated_at: utcnow()}
    if data.mode is not None:
        values[ConferenceMeeting.mode] = data.mode
    if data.topic is not None:
        values[ConferenceMeeting.topic] = data.topic.strip() or None
    await ConferenceMeeting.update(values).where(ConferenceMeeting.id == meeting_id).run()
    out = await ConferenceMeeting.select(*meeting_columns()).where(ConferenceMeeting.id == meeting_id).first().run()
    return meeting_out(out, (await load_school(window["school"]))["timezone"])


@use_case
async def set_contact(actor: Principal, teacher_id: int, data: TeacherContactIn) -> dict[str, str]:
    """The school sets a teacher's video link and phone number (empty: none)."""
    teacher = await load_teacher(teacher_id)
    await admin_window(actor, teacher["window"])
    await ConferenceTeacher.update({ConferenceTeacher.video_url: data.video_url, ConferenceTeacher.phone: data.phone}
                                   ).where(ConferenceTeacher.id == teacher_id).run()
    return {"video_url": data.video_url, "phone": data.phone}


@use_case
async def invite_guardian(actor: Principal, family_id: int, data: GuardianInviteIn) -> dict[str, str]:
    """Give a second guardian their own sign-in to the family's page and e-mail them the link (once per address).

    409 naming ``email`` when the address already signs in to another family or another role.
    """
    family = await locked(Family.select().where(Family.id == family_id)).first().run()
    if family is None:
        raise NotFound(f"no family {family_id}", "family_id")
    require_family_access(actor, family_id, family["school"])
    email = data.email.strip()
    users = await User.select(User.id, User.family, User.role).where(User.email.ilike(email.lower())).run()
    if any(u["role"] != "family" or u["family"] != family_id for u in users):
        raise Conflict("this address already signs in to another account; ask the school office", "email")
    if not users:
        await User.insert(User(role="family", name=email[:120], email=email, school=family["school"],
                               family=family_id, token_hash=hash_api_token(new_api_token()))).run()
    await notices.guardian_invite(await load_family(family_id), email, "/signin?" + urlencode({"email": email}))
    return {"email": email, "status": "invited"}
