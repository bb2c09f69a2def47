"""Publishing a solved week: calendar events for its evenings, interpreter blocks open for claiming."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from scheduler.assignments.tables import InterpreterAssignment
from scheduler.conferences import notices, selfbook
from scheduler.conferences.rows import LIVE, admin_window, load_evenings, load_window, window_out
from scheduler.conferences.schemas import PublishOut
from scheduler.conferences.tables import (
    ConferenceEvening,
    ConferenceMeeting,
    ConferenceWindow,
)
from scheduler.core.auth import Principal
from scheduler.core.db import locked, writing
from scheduler.core.errors import Conflict
from scheduler.core.timeutil import utcnow, zone
from scheduler.events.tables import Event


def interpreter_blocks(meetings: list[dict[str, Any]], gap: dt.timedelta) -> list[tuple[str, dt.datetime, dt.datetime,
                                                                                       list[int]]]:
    """Interpreted meetings -> (language, start, end, meeting ids) per contiguous run of one
    interpreter in one language; a run breaks where the wait exceeds ``gap``."""
    runs: dict[tuple[Any, str], list[dict[str, Any]]] = defaultdict(list)
    for m in sorted(meetings, key=lambda m: m["starts_at"]):
        runs[(m["interpreter"], m["language"])].append(m)
    blocks = []
    for (_, lang), ms in sorted(runs.items(), key=lambda kv: (kv[1][0]["starts_at"], kv[0][1])):
        cur = [ms[0]]
        for m in ms[1:]:
            if m["starts_at"] - cur[-1]["ends_at"] > gap:
                blocks.append((lang, cur[0]["starts_at"], cur[-1]["ends_at"], [x["id"] for x in cur]))
                cur = []
            cur.append(m)
        blocks.append((lang, cur[0]["starts_at"], cur[-1]["ends_at"], [x["id"] for x in cur]))
    return sorted(blocks, key=lambda b: (b[1], b[0]))


async def publish(actor: Principal, window_id: int) -> PublishOut:
    """Make a solved window visible to families and open its interpreting to interpreters.

    Each evening becomes an ``Event`` of kind ``conference`` (published, no
    room, no seats): the one entry families and the public feed show.
    Interpreter blocks hang on further events of that evening ("…
    interpreting 1", "… interpreting 2") because ``InterpreterAssignment.event``
    is NOT NULL and the database allows one live assignment per (event,
    language); those carry their languages, which is how the feeds know them
    for staff work (``calendars.feed_rows.staff_only``). Every family with
    meetings is sent its itinerary and every unplaced family is asked to
    book, in the same transaction.
    """
    _, school = await admin_window(actor, window_id)
    tz = school["timezone"]
    async with writing():
        window = await locked(ConferenceWindow.select().where(ConferenceWindow.id == window_id)).first().run()
        if window["status"] != "solved":
            raise Conflict(f"conference window {window_id} is {window['status']}; solve it before publishing",
                           "window_id")
        evenings = await load_evenings(window_id)
        meetings = await ConferenceMeeting.select().where(
            (ConferenceMeeting.window == window_id) & ConferenceMeeting.status.is_in(list(LIVE))
            & ConferenceMeeting.language.is_not_null()).run()
        gap = dt.timedelta(minutes=window["passing_minutes"] + 5)
        event_ids, assignments = [], 0
        for ev in evenings:
            parts: list[int] = []
            used: dict[str, int] = defaultdict(int)  # language -> blocks hung so far this evening

            async def event(k: int, langs: list[str]) -> int:
                while len(parts) <= k:
                    day = ev["starts_at"].astimezone(zone(tz)).date()
                    title = "Parent-teacher conferences" + (f" — interpreting {len(parts)}" if parts else "")
                    parts.append((await Event.insert(Event(
                        school=school["id"], kind="conference", title=title, status="published",
                        description=f"{window['name']}: parent-teacher conferences. Families see their own times "
                                    "under their conference itinerary.",
                        duration_minutes=int((ev["ends_at"] - ev["starts_at"]).total_seconds() // 60),
                        earliest_date=day, latest_date=day, starts_at=ev["starts_at"], ends_at=ev["ends_at"],
                        seats=0, room_tags=[], audience=[], interpreter_languages=langs))
                        .returning(Event.id).run())[0]["id"])
                return parts[k]

            await event(0, [])
            mine = [m for m in meetings if ev["starts_at"] <= m["starts_at"] < ev["ends_at"]]
            for lang, start, end, ids in interpreter_blocks(mine, gap):
                eid = await event(used[lang] + 1, [])  # never the evening itself: blocks are staff work
                used[lang] += 1
                aid = (await InterpreterAssignment.insert(InterpreterAssignment(
                    event=eid, school=school["id"], language=lang, status="open", starts_at=start, ends_at=end))
                    .returning(InterpreterAssignment.id).run())[0]["id"]
                await ConferenceMeeting.update({ConferenceMeeting.assignment: aid}).where(
                    ConferenceMeeting.id.is_in(ids)).run()
                assignments += 1
            for k, eid in enumerate(parts[1:], start=1):
                langs = sorted(lang for lang, n in used.items() if n >= k)
                await Event.update({Event.interpreter_languages: langs}).where(Event.id == eid).run()
            await ConferenceEvening.update({ConferenceEvening.event: parts[0]}).where(
                ConferenceEvening.id == ev["id"]).run()
            event_ids += parts
        now = utcnow()
        await ConferenceWindow.update({ConferenceWindow.status: "published", ConferenceWindow.published_at: now,
                                       ConferenceWindow.updated_at: now}).where(
            ConferenceWindow.id == window_id).run()
        # in this transaction: published and told, or neither; unplaced families are asked to book
        await notices.itineraries(window_id)
        await selfbook.ask_unplaced(window_id)
    return PublishOut(window=await window_out(await load_window(window_id), tz), event_ids=event_ids,
                      assignments=assignments)
