"""The door code: signed, forgiving of how staff type it, unforgeable; its QR; the e-mail that carries it."""

from __future__ import annotations

import datetime as dt
import json
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from scheduler.attendance import codes
from scheduler.attendance.checkin import fold, window
from scheduler.notifications.door_mail import with_door_code

SECRET = "unit-secret"


def test_a_code_names_its_registration_and_nothing_else():
    code = codes.door_code(SECRET, 42)
    assert code.startswith("42-") and len(code) == 11
    assert codes.registration_of(SECRET, code) == 42
    for typed in (code.lower(), f" {code[:5]} {code[5:]} ", code.replace("-", "\u2013")):
        assert codes.registration_of(SECRET, typed) == 42, typed


@pytest.mark.parametrize("text", ["", "42", "42-", "x-AAAAAAAA", "0-AAAAAAAA", "99999999999-AAAAAAAA",
                                  "42-AAAAAAA1", "42-AAAAAAAAA"])
def test_malformed_codes_name_no_registration(text):
    assert codes.registration_of(SECRET, text) is None


def test_a_code_cannot_be_moved_to_another_registration_or_made_with_another_secret():
    letters = codes.door_code(SECRET, 42).split("-")[1]
    assert codes.registration_of(SECRET, f"43-{letters}") is None
    assert codes.registration_of("another secret", codes.door_code(SECRET, 42)) is None


def test_the_qr_is_a_full_qr_code_with_the_code_in_it():
    svg = codes.qr_svg(codes.door_code(SECRET, 7), "Door code")
    assert svg.startswith("<svg") and "<title>Door code</title>" in svg
    assert codes.qr_png(codes.door_code(SECRET, 7)).startswith(b"\x89PNG")


def test_search_folds_case_and_accents():
    assert fold("Nguyễn GARCÍA") == fold("nguyen garcia")


def test_the_check_in_window_is_the_local_day_before_to_the_local_day_after():
    start = dt.datetime(2027, 3, 3, 0, 0, tzinfo=dt.timezone.utc)  # Tue 2 March, 18:00 in Chicago
    first, last = window({"starts_at": start, "ends_at": start + dt.timedelta(hours=2)}, "America/Chicago")
    assert first == dt.datetime(2027, 3, 1, 6, 0, tzinfo=dt.timezone.utc)  # Mon 1 March 00:00 CST
    assert last == dt.datetime(2027, 3, 4, 6, 0, tzinfo=dt.timezone.utc)  # Thu 4 March 00:00 CST
    assert window({"starts_at": None, "ends_at": None}, "America/Chicago") is None


def _mail() -> MIMEMultipart:
    body = MIMEMultipart("alternative")
    body.attach(MIMEText("Hello,\n\nYou are registered.\n\n-- \nThe school\n", "plain", "utf-8"))
    body.attach(MIMEText("<p>Hello,</p><hr><p>The school</p>", "html", "utf-8"))
    body["Subject"], body["To"] = "You are registered", "ana@example.org"
    return body


def test_the_confirmation_gains_the_line_and_the_image_even_without_an_invitation():
    row = {"kind": "registration_confirmed", "payload": json.dumps({"registration": 42}), "language": "es"}
    msg = with_door_code(_mail(), row, SECRET)
    code = codes.door_code(SECRET, 42)
    assert msg.get_content_type() == "multipart/mixed" and msg["Subject"] == "You are registered"
    text, page = (p.get_payload(decode=True).decode() for p in msg.get_payload()[0].get_payload())
    assert code in text.split("-- ")[0] and code in page.split("<hr>")[0]
    assert msg.get_payload()[1].get_content_type() == "image/png"


def test_other_messages_are_left_alone():
    mail = _mail()
    assert with_door_code(mail, {"kind": "reminder", "payload": "{}"}, SECRET) is mail
    assert with_door_code(mail, {"kind": "registration_confirmed", "payload": "{}"}, SECRET) is mail
