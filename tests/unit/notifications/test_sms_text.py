"""Text messages: segment counting (GSM-7 160/153, UCS-2 70/67), the short forms in every served language,
reply keywords, phone numbers and Twilio's webhook signature."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.core.phones import channel_problems, default_channels, normalize_phone, wants
from scheduler.core.settings import Settings, SettingsError
from scheduler.notifications.channels import route
from scheduler.notifications.sms_inbound import twilio_signature
from scheduler.notifications.sms_text import keyword, render_service_text, render_sms, segments

START = dt.datetime(2027, 3, 15, 23, 0, tzinfo=dt.timezone.utc)  # 18:00 in Chicago
LINK = "https://bridge.lincoln-elementary.example.org/family"


@pytest.mark.parametrize(("text", "encoding", "units", "count"), [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),  # split: 153 a segment
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("€" * 80, "GSM-7", 160, 1),  # the extension table counts twice
    ("€" + "a" * 159, "GSM-7", 161, 2),
    ("Xusuusin: Kulanka waalidiinta", "GSM-7", 29, 1),  # Somali: Latin letters, GSM-7
    ("ó" * 70, "UCS-2", 70, 1),  # ó is not in GSM-7 (é is)
    ("ó" * 71, "UCS-2", 71, 2),  # split: 67 a segment
    ("提" * 134, "UCS-2", 134, 2),
    ("提" * 135, "UCS-2", 135, 3),
    ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: two UTF-16 units each
    ("😀" * 36, "UCS-2", 72, 2),
])
def test_segments(text, encoding, units, count):
    assert segments(text) == (encoding, units, count)


@pytest.mark.parametrize("language", ["en", "es", "so", "ht", "vi", "zh", "ar"])
def test_a_reminder_fits_two_segments_in_every_served_language(language):
    text = render_sms("reminder", language, title="Math Night", starts_at=START, timezone="America/Chicago",
                      place="Library, room 12", link=LINK)
    assert segments(text).count <= 2, text
    assert LINK in text and "Math Night" in text


def test_somali_text_is_somali_gsm7_and_local_time():
    text = render_sms("reminder", "so", title="Math Night", starts_at=START, timezone="America/Chicago",
                      place="Library", link=LINK)
    assert text.startswith("Xusuusin: Math Night")
    assert "6:00" in text and "Goobta: Library" in text  # 18:00 Chicago, not 23:00 UTC
    assert segments(text).encoding == "GSM-7" and segments(text).count == 1


def test_a_long_title_is_cut_to_fit_and_the_place_dropped_first():
    title = "Đêm toán học cho phụ huynh và học sinh lớp ba, bốn và năm tại trường tiểu học Lincoln"
    text = render_sms("registration_confirmed", "vi", title=title, starts_at=START, timezone="America/Chicago",
                      place="Thư viện", link=LINK)
    assert segments(text).count == 2 and segments(text).encoding == "UCS-2"
    assert "..." in text and "Thư viện" not in text and LINK in text
    gsm = render_sms("reminder", "en", title="Family Math " * 30, starts_at=START, timezone="America/Chicago",
                     place="Library", link=LINK)
    assert segments(gsm).encoding == "GSM-7" and segments(gsm).count == 2
    assert "..." in gsm and LINK in gsm


def test_short_texts_stay_whole():
    text = render_sms("event_cancelled", "es", title="Noche", starts_at=START, timezone="America/Chicago",
                      place="Biblioteca", link=LINK)
    assert "Noche" in text and "Biblioteca" in text and "18:00" in text


def test_help_text_names_the_school_and_stop():
    text = render_service_text("sms_help", "en", "Lincoln Elementary")
    assert "Lincoln Elementary" in text and "STOP" in text and segments(text).count <= 2


@pytest.mark.parametrize(("body", "meaning"), [
    ("STOP", "stop"), (" stop ", "stop"), ("Parar", "stop"), ("JOOJI", "stop"), ("DỪNG", "stop"), ("停止", "stop"),
    ("توقف", "stop"), ("kanpe", "stop"), ("Unsubscribe", "stop"),
    ("START", "start"), ("bilow", "start"), ("開始".replace("開", "开"), "start"),
    ("HELP", "help"), ("ayuda", "help"), ("Caawimo", "help"),
    ("yes", "yes"), ("Sí", "yes"), ("¡SI!", "yes"), ("haa", "yes"), ("Wi", "yes"), ("1", "yes"), ("có", "yes"),
    ("نعم", "yes"), ("是", "yes"),
    ("no", "no"), ("NO.", "no"), ("maya", "no"), ("non", "no"), ("2", "no"), ("không", "no"), ("لا", "no"),
    ("no puedo ir, mi hijo está enfermo", None), ("stop sending me reminders on sunday?", None), ("", None),
])
def test_keywords_in_every_served_language(body, meaning):
    assert keyword(body) == meaning


@pytest.mark.parametrize(("raw", "e164"), [
    ("(612) 555-0123", "+16125550123"), ("612.555.0123", "+16125550123"), ("1 612 555 0123", "+16125550123"),
    ("+252 61 555 0123", "+252615550123"), ("00252615550123", "+252615550123"), ("", ""),
    ("555-0123", None), ("+0123456789", None), ("call me", None), ("+1234567890123456", None),
    ("²²²²²²²²²²", None), ("+٢٥٢٦١٥٥٥٠١٢٣", None),  # digits to Python, not to a carrier
])
def test_phone_numbers(raw, e164):
    assert normalize_phone(raw) == e164


def test_channels_default_and_validation():
    assert default_channels("a@example.org", "") == "email"
    assert default_channels("", "+16125550123") == "sms"
    assert default_channels("a@example.org", "+16125550123") == "both"
    assert wants("both") == {"email", "sms"}
    assert channel_problems("sms", "a@example.org", "")[0][0] == "phone"
    assert channel_problems("email", "", "+16125550123")[0][0] == "email"
    assert channel_problems("fax", "a@example.org", "")[0][0] == "channels"
    assert channel_problems("both", "a@example.org", "+16125550123") == []


def _row(**values):
    return {"id": 1, "channel": "email", "family": 7, "kind": "reminder", "to_email": "a@example.org", **values}


def test_routing_follows_the_family_and_falls_back_to_email():
    family = {"channels": "sms", "phone": "+16125550123"}
    assert route(_row(), family, set(), True) == (False, True, "sent as a text message (the family's choice)")
    assert route(_row(), {**family, "channels": "both"}, set(), True)[:2] == (True, True)
    assert route(_row(), {**family, "channels": "email"}, set(), True)[:2] == (True, False)
    # a text cannot go: opted out, no provider, no number -> the e-mail instead
    assert route(_row(), family, {"+16125550123"}, True)[:2] == (True, False)
    assert route(_row(), family, set(), False)[:2] == (True, False)
    assert route(_row(), {**family, "phone": ""}, set(), True)[:2] == (True, False)
    # staff messages and the roster invitation stay e-mails
    assert route(_row(kind="assignment_open", family=None), family, set(), True)[:2] == (True, False)
    assert route(_row(kind="roster_invitation"), family, set(), True)[:2] == (True, False)


def test_twilio_signature_matches_twilios_published_example():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212"}
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params.items()) == \
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_sms_settings_from_the_environment():
    base = {"DATABASE_URL": "sqlite:////tmp/x.db", "FB_SECRET_KEY": "k"}
    assert Settings.from_env(base).sms_provider == ""
    with pytest.raises(SettingsError, match="FB_TWILIO_ACCOUNT_SID, FB_TWILIO_AUTH_TOKEN, FB_TWILIO_FROM"):
        Settings.from_env({**base, "FB_SMS_PROVIDER": "twilio"})
    with pytest.raises(SettingsError, match="FB_SMS_PROVIDER"):
        Settings.from_env({**base, "FB_SMS_PROVIDER": "carrier-pigeon"})
    full = Settings.from_env({**base, "FB_SMS_PROVIDER": "Twilio", "FB_TWILIO_ACCOUNT_SID": "AC1",
                              "FB_TWILIO_AUTH_TOKEN": "t", "FB_TWILIO_FROM": "+15005550006"})
    assert (full.sms_provider, full.twilio_base_url) == ("twilio", "https://api.twilio.com")
    with pytest.raises(SettingsError, match="FB_TWILIO_BASE_URL"):
        Settings.from_env({**base, "FB_SMS_PROVIDER": "twilio", "FB_TWILIO_ACCOUNT_SID": "AC1",
                           "FB_TWILIO_AUTH_TOKEN": "t", "FB_TWILIO_FROM": "+1", "FB_TWILIO_BASE_URL": "ftp://x"})
