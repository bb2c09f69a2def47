"""Wording, locale formatting and MIME shape of notifications: pure, no database, no SMTP."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest
from babel.messages.pofile import read_po

from scheduler.notifications import door_mail, messages, sms_text
from scheduler.notifications.messages import Context, compose, render

UTC = dt.timezone.utc
EVENING = dt.datetime(2027, 3, 15, 23, 0, tzinfo=UTC)  # 18:00 CDT, the day after spring-forward
WINTER = dt.datetime(2027, 3, 12, 0, 0, tzinfo=UTC)  # 18:00 CST, before it


def ctx(kind: str = "reminder", language: str = "es", when: dt.datetime = EVENING, **kw) -> Context:
    return Context(kind=kind, language=language, title="Math Night", starts_at=when, timezone="America/Chicago",
                   school="Lincoln Elementary", place="Library", **kw)


def msgids() -> set[str]:
    ids = {m for pair in messages.TEMPLATES.values() for m in pair}
    ids |= {*sms_text.SERVICE_TEXTS.values(), *sms_text.QUESTIONS.values()}  # the texts' own few words
    return ids | {messages.GREETING, messages.PLACE, messages.ATTACHED, messages.PREFERENCES, messages.SIGNATURE,
                  messages.NEXT_SESSION, door_mail.DOOR_LINE}


@pytest.mark.parametrize("language", ["es", "zh", "vi", "ar", "so", "ht"])
def test_every_catalogue_translates_every_message_with_the_same_placeholders(language):
    with (messages.LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    translated = {m.id: m.string for m in catalog if m.id}
    assert set(translated) == msgids()
    for msgid, text in translated.items():
        assert text and (text != msgid or msgid == messages.SIGNATURE), msgid  # the name stays as it is
        assert sorted(re.findall(r"%\(\w+\)s", text)) == sorted(re.findall(r"%\(\w+\)s", msgid)), msgid


def test_template_file_lists_every_message():
    with (messages.LOCALES / "messages.pot").open("rb") as f:
        assert {m.id for m in read_po(f) if m.id} == msgids()


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "This is a reminder that Math Night takes place on Monday, March 15, 2027 at 6:00\u202fPM."),
    ("es", "Le recordamos que Math Night será el lunes, 15 de marzo de 2027 a las 18:00."),
    ("zh", "提醒您：Math Night将于2027年3月15日星期一 18:00举行。"),
    ("vi", "Xin nhắc rằng Math Night sẽ diễn ra vào Thứ Hai, 15 tháng 3, 2027 lúc 18:00."),
    ("ar", "نذكّركم بأن Math Night سيُقام يوم الاثنين، 15 مارس 2027 في الساعة 6:00 م."),
])
def test_reminder_text_in_each_language_at_local_time(language, expected):
    assert expected in render(ctx(language=language)).text


def test_local_time_is_the_same_wall_clock_on_both_sides_of_the_dst_change():
    assert "a las 18:00" in render(ctx(when=WINTER)).text
    assert "a las 18:00" in render(ctx(when=EVENING)).text


def test_regional_and_unknown_languages_fall_back():
    assert render(ctx(language="es-MX")).language == "es"
    assert render(ctx(language="tl")).subject.startswith("Reminder: Math Night")


def test_arabic_html_is_right_to_left_and_escaped():
    page = render(ctx(language="ar", preferences_url="http://x.test/preferences/1.abc")).html
    assert '<html lang="ar" dir="rtl">' in page and '<body dir="rtl">' in page
    assert '<a href="http://x.test/preferences/1.abc">' in page
    hostile = render(Context(kind="reminder", language="en", title="<script>x</script>", starts_at=EVENING,
                             timezone="America/Chicago", school="S")).html
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile
    assert 'dir="ltr"' in render(ctx(language="en")).html


def test_staff_message_names_the_language():
    rendered = render(ctx(kind="assignment_unclaimed", language="en", values={"language": "Spanish"}))
    assert rendered.subject == "Still no interpreter (Spanish): Math Night"


def test_compose_has_text_html_and_invitation_parts():
    msg = compose(render(ctx(preferences_url="http://x.test/p/1.a")), to="ana@example.org",
                  sender="Family Bridge <no-reply@x.test>", message_id="<outbox-7@x.test>",
                  ics=b"BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n", method="CANCEL",
                  unsubscribe="http://x.test/p/1.a")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["Content-Language"] == "es"
    assert parsed["List-Unsubscribe"] == "<http://x.test/p/1.a>"
    assert parsed.get_body(("plain",)).get_content().startswith("Hola:")
    assert "<html" in parsed.get_body(("html",)).get_content()
    [ics] = list(parsed.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "CANCEL"
