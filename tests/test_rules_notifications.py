"""The rules of notifications (``notifications/model.py``), with answers written by hand."""

from __future__ import annotations

import datetime as dt
import string
import time

import pytest

from shieldwall.access.model import Scope
from shieldwall.kit.errors import InvalidInput
from shieldwall.notifications.model import (
    NotifyBy,
    absolute_link,
    check_email_address,
    check_preferences,
    mail_body,
    may_update_own,
    message_id,
    parse_notify_by,
    retry_delay,
    who_gets_mail,
)

MINUTE = dt.timedelta(minutes=1)

# attempts failed so far → the wait before the next: 1, 2, 4, 8, 16, 32 minutes, then an hour.
RETRY_DELAYS = {
    0: dt.timedelta(0),
    1: MINUTE,
    2: 2 * MINUTE,
    3: 4 * MINUTE,
    4: 8 * MINUTE,
    5: 16 * MINUTE,
    6: 32 * MINUTE,
    7: 60 * MINUTE,  # 64 minutes, capped
    8: 60 * MINUTE,
    50: 60 * MINUTE,
    10**9: 60 * MINUTE,
}


@pytest.mark.parametrize(("attempts", "delay"), RETRY_DELAYS.items())
def test_retry_delay(attempts: int, delay: dt.timedelta) -> None:
    assert retry_delay(attempts) == delay


def test_retry_delay_before_any_attempt_is_none() -> None:
    assert retry_delay(-1) == dt.timedelta(0)


# (preference, address) → mailed?
WHO_GETS_MAIL = {
    ("email", "a@example.org"): True,
    ("email", None): False,
    ("email", ""): False,
    ("in-app", "a@example.org"): False,
    ("in-app", None): False,
    ("sms", "a@example.org"): False,
}


@pytest.mark.parametrize(
    ("notify_by", "email", "mailed"), [(*k, v) for k, v in WHO_GETS_MAIL.items()]
)
def test_who_gets_mail(notify_by: str, email: str | None, mailed: bool) -> None:
    assert who_gets_mail(notify_by, email) is mailed


ADDRESSES_ACCEPTED = {
    "name@example.org": "name@example.org",
    "  name@example.org ": "name@example.org",
    "First.Last@Example.ORG": "First.Last@example.org",
    "o'brien+council@mail.gov.ie": "o'brien+council@mail.gov.ie",
    "a@b.co": "a@b.co",
    "x_y-z@sub-domain.example.org": "x_y-z@sub-domain.example.org",
    ("l" * 64) + "@example.org": ("l" * 64) + "@example.org",
    "a@" + ("d" * 63) + ".org": "a@" + ("d" * 63) + ".org",
}

GIVE = "give an e-mail address, like name@example.org"
LONG = "an e-mail address has at most 254 characters"
LOCAL = "the part before @ holds a character an address may not hold"
DOT = "the part before @ may not start or end with a dot"
DOMAIN = "the domain after @ must be a name like example.org"

# text → what is wrong with it, as the message says.
ADDRESSES_REFUSED = {
    "": GIVE,
    "   ": GIVE,
    "plain": GIVE,
    "@example.org": GIVE,
    "name@": GIVE,
    "name@localhost": DOMAIN,  # one label: not a name in the world's DNS
    "a@b@example.org": LOCAL,  # the last @ divides: "a@b" is no mailbox
    "na me@example.org": LOCAL,
    "name@exa mple.org": DOMAIN,
    "name@example..org": DOMAIN,
    "name@.example.org": DOMAIN,
    "name@-example.org": DOMAIN,
    "name@example-.org": DOMAIN,
    "name@example.org.": DOMAIN,
    ".name@example.org": DOT,
    "name.@example.org": DOT,
    "na..me@example.org": LOCAL,
    '"quoted"@example.org': LOCAL,
    "Name <name@example.org>": LOCAL,
    "name@example.org\r\nBcc: spy@example.org": LOCAL,
    "name@example.org,other@example.org": LOCAL,
    "name@exämple.org": DOMAIN,
    ("l" * 65) + "@example.org": LOCAL,
    "a@" + ("d" * 64) + ".org": DOMAIN,
    "a@" + ".".join(["d" * 60] * 5) + ".org": LONG,  # 310 characters: over 254
}


@pytest.mark.parametrize(("text", "address"), ADDRESSES_ACCEPTED.items())
def test_check_email_address_accepts(text: str, address: str) -> None:
    assert check_email_address("email", text) == address


@pytest.mark.parametrize(("text", "why"), ADDRESSES_REFUSED.items())
def test_check_email_address_refuses_naming_the_field(text: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_email_address("address", text)
    assert refused.value.extra["errors"] == [{"field": "address", "message": why}]


def test_a_domain_label_may_hold_every_letter_digit_and_hyphen() -> None:
    label = string.ascii_letters + "-" + string.digits  # all 63 characters a label may hold
    assert check_email_address("email", f"a@{label}.org") == f"a@{label.lower()}.org"


def test_an_address_of_254_characters_is_the_longest() -> None:
    domain = ".".join(["d" * 61] * 4) + ".org"  # 4 × 61 + 3 dots + 4 = 251 characters
    assert check_email_address("email", "ab@" + domain) == "ab@" + domain  # 254
    with pytest.raises(InvalidInput):
        check_email_address("email", "abc@" + domain)  # 255


def test_parse_notify_by() -> None:
    assert parse_notify_by("notify_by", "email") == NotifyBy.EMAIL
    assert parse_notify_by("notify_by", "in-app") == NotifyBy.IN_APP
    for wrong in ("", "EMAIL", "in_app", "sms"):
        with pytest.raises(InvalidInput) as refused:
            parse_notify_by("notify_by", wrong)
        assert refused.value.detail == "notify_by: use email or in-app"


def test_check_preferences() -> None:
    check_preferences(NotifyBy.EMAIL, "a@example.org")
    check_preferences(NotifyBy.IN_APP, None)
    check_preferences(NotifyBy.IN_APP, "a@example.org")
    with pytest.raises(InvalidInput) as refused:
        check_preferences(NotifyBy.EMAIL, None)
    assert (
        refused.value.detail == "email: give an address to be notified by e-mail, or choose in-app"
    )
    with pytest.raises(InvalidInput):
        check_preferences(NotifyBy.EMAIL, "")


def test_may_update_own() -> None:
    assert may_update_own(frozenset({Scope.READ, Scope.WRITE})) is True
    assert may_update_own(frozenset({Scope.WRITE})) is True
    assert may_update_own(frozenset({Scope.READ})) is False
    assert may_update_own(frozenset()) is False


def test_message_id() -> None:
    at = dt.datetime(2024, 4, 2, 12, 0, 5, tzinfo=dt.UTC)
    assert (
        message_id(7, at, "council@nato.example") == "<notification-7.20240402120005@nato.example>"
    )
    kyiv = dt.timezone(dt.timedelta(hours=3))
    at_kyiv = dt.datetime(2024, 4, 2, 15, 0, 5, tzinfo=kyiv)  # the same instant
    assert (
        message_id(7, at_kyiv, "x@nato.example") == "<notification-7.20240402120005@nato.example>"
    )
    assert (
        message_id(8, at, "odd@name@nato.example") == "<notification-8.20240402120005@nato.example>"
    )
    assert message_id(8, at, "no-domain") == "<notification-8.20240402120005@localhost>"
    assert message_id(8, at, "") == "<notification-8.20240402120005@localhost>"


def test_absolute_link() -> None:
    assert absolute_link("", "/offers/3") == "/offers/3"
    assert absolute_link("https://sw.example.org", "/offers/3") == "https://sw.example.org/offers/3"
    assert (
        absolute_link("https://sw.example.org/", "/offers/3") == "https://sw.example.org/offers/3"
    )
    assert absolute_link("https://sw.example.org/", "offers/3") == "https://sw.example.org/offers/3"
    assert absolute_link("https://sw.example.org", "https://x.example/") == "https://x.example/"
    assert absolute_link("https://sw.example.org", "") == "https://sw.example.org/"
    # Only slashes are trimmed where the two meet.
    assert absolute_link("https://sw.example.org/X", "/Xmas") == "https://sw.example.org/X/Xmas"


def test_message_id_is_in_utc_whatever_the_machine_s_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    at = dt.datetime(2024, 4, 2, 12, 0, 5, tzinfo=dt.UTC)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert message_id(7, at, "a@x.example") == "<notification-7.20240402120005@x.example>"
    finally:
        monkeypatch.undo()
        time.tzset()


# ---- the mail's text ------------------------------------------------------------------------


def test_a_mail_has_the_notice_the_link_and_a_footer_saying_why_it_came() -> None:
    """The footer follows the usual signature separator, "-- " on a line of its own."""
    assert mail_body(
        "Offer 7 was accepted.", "https://sw.example/offers/7", "https://sw.example/me"
    ) == (
        "Offer 7 was accepted.\n"
        "\n"
        "Open it: https://sw.example/offers/7\n"
        "\n"
        "-- \n"
        "Shieldwall sends you this because you chose to be notified by e-mail. "
        "To change that: https://sw.example/me\n"
    )


def test_a_mail_without_a_link_has_no_line_to_open_it() -> None:
    assert mail_body("Silence was broken.", "", "https://sw.example/me") == (
        "Silence was broken.\n"
        "\n"
        "-- \n"
        "Shieldwall sends you this because you chose to be notified by e-mail. "
        "To change that: https://sw.example/me\n"
    )
