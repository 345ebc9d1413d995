"""Passwords: the policy a new one must meet, hashing and checking, one-time codes.

The policy: at least MIN_LENGTH characters, not the member's phone number or
username, and not in the shipped lists of common passwords:

- ``data/common-passwords.txt.gz``: Django's list of 20,000 common passwords
  (created by Royce Williams, lowercased; Django, BSD licence, see
  ``data/LICENSE.django``), copied from Django 5.2;
- ``data/common-passwords-zh.txt``: passwords common in China that it misses
  (woaini1314, 5201314, qq123456, pinyin names with digits…).

Checking a password costs the same whether or not the member exists: without a
stored hash, a dummy hash of the same method is checked instead, so the time
a sign-in takes does not tell whether a phone number has an account.
"""

from __future__ import annotations

import gzip
import secrets
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

import community.models as community_models
from community.account_errors import WeakPassword
from community.models import normalise_phone

MIN_LENGTH = 8
MAX_LENGTH = 128
DATA = Path(__file__).resolve().parent / "data"
# A one-time code is read out and typed by an elder: digits only, without 0 and 1
# (heard or written, they pass for O, I and l), 8 of them (8⁸ ≈ 16.8 million).
CODE_ALPHABET = "23456789"
CODE_LENGTH = 8


@cache
def common_passwords() -> frozenset[str]:
    """The shipped lists of common passwords, lowercased (read once per process)."""
    with gzip.open(DATA / "common-passwords.txt.gz", "rt", encoding="utf-8") as lines:
        words = {line.strip() for line in lines}
    for line in (DATA / "common-passwords-zh.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line.lower())
    words.discard("")
    return frozenset(words)


def check_new_password(password: str, *, login_names: tuple[str | None, ...] = ()) -> None:
    """Refuse a new password that is too short, too long, common, or a login name.

    Raises WeakPassword with a message saying what to change.
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_l("A password needs at least %(n)s characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_l("A password can have at most %(n)s characters.", n=MAX_LENGTH))
    plain = password.strip().lower()
    names = {normalise_phone(name).lower() for name in login_names if name}
    names |= {name.lower() for name in login_names if name}
    if plain in names or normalise_phone(plain) in names:
        raise WeakPassword(_l("Do not use your phone number or username as your password."))
    if plain in common_passwords():
        raise WeakPassword(
            _l("This password is too common and easy to guess. Please choose another one.")
        )


def hash_password(password: str) -> str:
    """A salted hash of ``password`` (the method of community.models.PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=community_models.PASSWORD_HASH_METHOD)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``.

    Without a stored hash (no such member, or one who never signs in), a dummy
    hash of the same method is checked, so both cost the same time.
    """
    if stored_hash:
        return check_password_hash(stored_hash, password or "")
    check_password_hash(_dummy_hash(community_models.PASSWORD_HASH_METHOD), password or "")
    return False


def new_one_time_code() -> str:
    """A random code for a password reset in person (digits 2–9, easy to read out)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
