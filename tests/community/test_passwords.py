"""The password policy, the one-time code, and a sign-in that costs the same whether or
not the member exists."""

from __future__ import annotations

import pytest

import community.passwords as passwords
from community.account_errors import AccountSuspended, WeakPassword, WrongCredentials
from community.errors import InvalidMember
from community.passwords import (
    CODE_ALPHABET,
    CODE_LENGTH,
    check_new_password,
    common_passwords,
    new_one_time_code,
)
from community.services import create_member
from community.sign_in import authenticate
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "password, message",
    [
        ("", "at least 8 characters"),
        ("7chars!", "at least 8 characters"),
        ("x" * 129, "at most 128 characters"),
        ("password1", "too common"),
        ("12345678", "too common"),
        ("Qwerty123", "too common"),  # the list is lowercase; so is the comparison
        ("woaini1314", "too common"),
        ("5201314520", "too common"),
        ("qq123456", "too common"),
        ("a123456789", "too common"),
        ("13912345678", "phone number or username"),
        ("+86 139 1234 5678", "phone number or username"),
        ("Wang.Li.88", "phone number or username"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(english, password, message):
    with pytest.raises(WeakPassword, match=message):
        check_new_password(password, login_names=("13912345678", "wang.li.88"))


@pytest.mark.parametrize("password", [PASSWORD, "linli2026", "我家门口的桂花树", "tea-at-nine-9"])
def test_good_passwords_pass(password):
    check_new_password(password, login_names=("13912345678", "wang.li"))


def test_the_shipped_lists_are_whole():
    words = common_passwords()
    assert len(words) > 19_600  # Django's list (19,640 after its deduplication) and ours
    assert {"123456", "password", "woaini1314", "wang123456", "7758521"} <= words
    assert all(word == word.lower() and word.strip() == word for word in words)


def test_creating_a_member_applies_the_policy(english, community):
    with pytest.raises(InvalidMember, match="too common"):
        create_member(
            by=None,
            community=community,
            display_name="王",
            phone="13912345678",
            password="woaini1314",
        )
    with pytest.raises(WeakPassword, match="phone number"):
        create_member(
            by=None,
            community=community,
            display_name="王",
            phone="13912345678",
            password="13912345678",
        )


def test_one_time_codes_are_plain_digits_and_differ():
    codes = {new_one_time_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
        assert not set(code) & set("01OIl")


# --- the same work for every login -------------------------------------------------------


@pytest.fixture
def counted_checks(monkeypatch):
    """The hashes each password check ran against, in order."""
    checked: list[str] = []
    original = passwords.check_password_hash

    def check(stored: str, password: str) -> bool:
        checked.append(stored)
        return original(stored, password)

    monkeypatch.setattr(passwords, "check_password_hash", check)
    return checked


def _method(stored_hash: str) -> str:
    return stored_hash.split("$", 1)[0]


def test_an_unknown_login_costs_one_hash_check_like_a_known_one(app, make_member, counted_checks):
    member = make_member(phone="13912345678")
    never_signs_in = make_member(phone="13912345679", password=None)

    for login in ("13912345678", "13900000000", "nobody", never_signs_in.phone):
        with pytest.raises(WrongCredentials):
            authenticate(login, "wrong-password-1")
    assert len(counted_checks) == 4, "every try checks exactly one hash"
    known, *others = counted_checks
    assert known == member.password_hash
    # the stand-in hash is made the same way (same method and cost) as a member's
    assert {_method(stored) for stored in others} == {_method(member.password_hash)}
    assert all(stored != member.password_hash for stored in others)


def test_a_right_password_signs_in_and_a_suspended_member_is_told(app, make_member):
    member = make_member(phone="13912345678")
    assert authenticate("139 1234 5678", PASSWORD) is member
    member.is_active_member = False
    with pytest.raises(AccountSuspended):
        authenticate("13912345678", PASSWORD)
    with pytest.raises(WrongCredentials):  # a wrong password says nothing about the suspension
        authenticate("13912345678", "wrong-password-1")
