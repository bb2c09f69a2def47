"""What a texted reply to the thank-you means, and the after-event texts' length in every served language."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.attendance.feedback import parse_reply
from scheduler.notifications.messages import Context, render
from scheduler.notifications.sms_text import render_sms, segments

LANGUAGES = ("en", "es", "vi", "zh", "ar", "so", "ht")
LINK = "https://bridge.lincoln-elementary.example.org/feedback/1234.5678.AbCdEfGhIjKlMnOpQrStUvWx"
NEXT = "2027-03-22T23:00:00+00:00"  # 18:00 in Chicago


@pytest.mark.parametrize(("body", "score", "comment"), [
    ("5", 5, ""), (" 4 ", 4, ""), ("3 too late for us", 3, "too late for us"), ("4. great evening", 4, "great evening"),
    ("2, the room was cold", 2, "the room was cold"), ("4/5 good", 4, "good"), ("٤ جيد", 4, "جيد"),
    ("1\x07 ok", 1, "ok"), ("45", None, ""), ("6", None, ""), ("0", None, ""), ("great", None, ""), ("", None, ""),
    ("no puedo ir", None, ""),
])
def test_a_texted_reply_is_a_score_then_an_optional_comment(body, score, comment):
    assert parse_reply(body) == (score, comment)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_after_event_texts_fit_two_segments_and_skip_the_past_time_and_place(language):
    thanks = render_sms("thank_you", language, title="Math Night", starts_at=dt.datetime(2027, 3, 15, 23, tzinfo=dt.UTC),
                        timezone="America/Chicago", place="Library", link=LINK)
    # two segments where the language allows: in UCS-2 (Vietnamese, Arabic, ...) a segment is 67 units and the
    # link alone takes 87 of them, so the question cannot fit beside it in two
    allowed = 2 if segments(thanks).encoding == "GSM-7" else 3
    assert LINK in thanks and "Library" not in thanks and segments(thanks).count <= allowed
    missed = render_sms("missed_you", language, title="Math Night", starts_at=None, timezone="America/Chicago",
                        place="Library", link=LINK, values={"next_title": "Math Night", "next_starts": NEXT})
    assert "Library" not in missed and segments(missed).count <= 3


def test_the_missed_you_email_names_the_next_session_in_the_schools_time_or_nothing():
    ctx = Context(kind="missed_you", language="en", title="Math Night",
                  starts_at=dt.datetime(2027, 3, 15, 23, tzinfo=dt.UTC), timezone="America/Chicago",
                  school="Lincoln Elementary", place="Library",
                  values={"url": "https://x.example/family", "next_title": "Math Night", "next_starts": NEXT})
    text = " ".join(render(ctx).text.split())
    assert "The next session, Math Night, is on Monday, March 22, 2027 at 6:00" in text and "Library" not in text
    alone = render(Context(kind="missed_you", language="en", title="Math Night", starts_at=None,
                           timezone="America/Chicago", school="Lincoln Elementary", values={"url": "u"}))
    assert "next session" not in alone.text and "We missed you" in alone.subject
