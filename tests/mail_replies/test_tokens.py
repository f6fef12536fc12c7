"""Tokens: short, case-proof, signed, bound to one recipient of one circulation."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
import time_machine

from circulation.mail.tokens import (
    Purpose,
    TokenRefused,
    check_token,
    make_token,
    read_token,
    reply_address,
    token_in_address,
)

pytestmark = pytest.mark.django_db
LINKS = (Purpose.NO_OPINION, Purpose.REPLY)


def test_a_token_fits_an_address_and_survives_lowercasing_and_uppercasing(tanaka, during):
    token = make_token(tanaka, Purpose.ADDRESS)
    assert len(token) == 40 and token == token.lower() and token.isalnum()
    address = reply_address(tanaka)
    assert len(address.split("@")[0]) <= 64
    assert token_in_address(address.upper()) == token_in_address(address)
    for spelling in (token, token.upper()):
        data, recipient = read_token(spelling)
        assert (recipient, data.purpose) == (tanaka, Purpose.ADDRESS)


def test_a_token_is_bound_to_its_recipient_and_circulation(tanaka, circulation, council, during):
    token = make_token(tanaka, Purpose.REPLY)
    raw = bytearray(base64.b32decode(token.upper()))
    takahashi = circulation.recipients.get(user=council.members[1])
    raw[1:5] = takahashi.pk.to_bytes(4, "big")  # the same token pointed at another recipient
    forged = base64.b32encode(bytes(raw)).decode().lower()
    with pytest.raises(TokenRefused) as refused:
        read_token(forged)
    assert refused.value.reason == "invalid"


def test_a_token_signed_with_another_key_is_refused_and_old_keys_still_work(
    tanaka, settings, during
):
    token = make_token(tanaka, Purpose.REPLY)
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 20
    with pytest.raises(TokenRefused):
        read_token(token)
    settings.SECRET_KEY_FALLBACKS = ["insecure-development-key-never-use-in-production"]
    assert read_token(token)[1] == tanaka


def test_purposes_are_not_interchangeable(tanaka, during):
    address_token = make_token(tanaka, Purpose.ADDRESS)
    with pytest.raises(TokenRefused):
        check_token(address_token, purposes=LINKS)


def test_a_token_expires_at_the_current_deadline_and_after_its_maximum_age(tanaka, settings, when):
    with time_machine.travel(when["during"], tick=False):
        token = make_token(tanaka, Purpose.REPLY)
        assert check_token(token, purposes=LINKS)[1] == tanaka
    with time_machine.travel(when["deadline"], tick=False), pytest.raises(TokenRefused) as late:
        check_token(token, purposes=LINKS)
    assert late.value.reason == "expired"
    settings.KAIRAN_TOKEN_MAX_AGE_DAYS = 1
    later = when["during"] + dt.timedelta(days=2)
    with time_machine.travel(later, tick=False), pytest.raises(TokenRefused) as old:
        check_token(token, purposes=LINKS)
    assert old.value.reason == "expired"


def test_a_no_opinion_token_is_used_up_once_the_reply_changes(tanaka, during):
    from circulation.services.replies import submit_reply

    token = make_token(tanaka, Purpose.NO_OPINION)
    reply_token = make_token(tanaka, Purpose.REPLY)
    submit_reply(recipient=tanaka, kind="no_opinion", base_version=0)
    tanaka.refresh_from_db()
    with pytest.raises(TokenRefused) as used:
        check_token(token, purposes=LINKS)
    assert used.value.reason == "used"
    assert check_token(reply_token, purposes=LINKS)[1] == tanaka  # 回答する still works
