"""Receipts and sealed choices for secret votes.

A secret ballot is found by the hash of the voter's receipt and holds the choice
sealed with a key derived from the receipt: SHA-256 in counter mode as the key
stream (a fresh random nonce each time a choice is sealed) and an HMAC-SHA-256 tag
over nonce and cipher text. The choice is padded to one length, so the sealed text's
length says nothing. The receipt is shown to the voter once and kept nowhere; with
it (and only with it) the ballot can be opened to change the vote.

A receipt is 16 letters and digits (Crockford's base 32, 80 random bits), shown in
groups of four; case, spaces and dashes are ignored when it is typed back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16
_PAD = 16
_NONCE = 16
_TAG = 16


def new_receipt() -> str:
    """A fresh receipt, e.g. "7KQ2-M9XD-4TRB-H3PA"."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def normalise_receipt(typed: str) -> str | None:
    """The receipt as stored for hashing (16 characters), or None if it cannot be one."""
    text = "".join((typed or "").split()).replace("-", "").upper()
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(text) != RECEIPT_LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def receipt_hash(consultation_id: int, receipt: str) -> str:
    """What a ballot row keeps of its receipt (normalised first)."""
    material = f"civic-receipt|{consultation_id}|{normalise_receipt(receipt)}"
    return hashlib.sha256(material.encode()).hexdigest()


def _key(receipt: str, purpose: str) -> bytes:
    return hashlib.sha256(f"civic-seal|{purpose}|{normalise_receipt(receipt)}".encode()).digest()


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(key + nonce + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def seal(receipt: str, choice: str) -> str:
    """The choice sealed with the receipt's key (hex text)."""
    plain = choice.encode().ljust(_PAD, b"\0")
    nonce = secrets.token_bytes(_NONCE)
    cipher = bytes(
        a ^ b for a, b in zip(plain, _stream(_key(receipt, "enc"), nonce, _PAD), strict=True)
    )
    tag = hmac.new(_key(receipt, "mac"), nonce + cipher, hashlib.sha256).digest()[:_TAG]
    return (nonce + cipher + tag).hex()


def unseal(receipt: str, sealed: str) -> str | None:
    """The choice a sealed text holds, or None if this receipt does not open it."""
    try:
        raw = bytes.fromhex(sealed)
    except ValueError:
        return None
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    expected = hmac.new(_key(receipt, "mac"), nonce + cipher, hashlib.sha256).digest()[:_TAG]
    if len(cipher) != _PAD or not hmac.compare_digest(tag, expected):
        return None
    plain = bytes(
        a ^ b for a, b in zip(cipher, _stream(_key(receipt, "enc"), nonce, _PAD), strict=True)
    )
    return plain.rstrip(b"\0").decode(errors="replace")
