"""Receipts and sealed choices for secret votes.

A secret ballot is found by the hash of the voter's receipt and holds the choice
sealed with a key derived from the receipt, by AES-GCM (the cryptography library; a
fresh random nonce each time a choice is sealed, and its tag tells a wrong receipt).
The choice is padded to one length, so the sealed text's length says nothing. The receipt is shown to the voter once and kept nowhere; with
it (and only with it) the ballot can be opened to change the vote.

A receipt is 16 letters and digits (Crockford's base 32, 80 random bits), shown in
groups of four; case, spaces and dashes are ignored when it is typed back.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16
_PAD = 16
_NONCE = 12  # AES-GCM's


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


def _key(receipt: str) -> AESGCM:
    return AESGCM(hashlib.sha256(f"civic-seal|{normalise_receipt(receipt)}".encode()).digest())


def seal(receipt: str, choice: str) -> str:
    """The choice sealed with the receipt's key (hex text): AES-GCM with a fresh nonce."""
    plain = choice.encode().ljust(_PAD, b"\0")
    nonce = secrets.token_bytes(_NONCE)
    return (nonce + _key(receipt).encrypt(nonce, plain, None)).hex()


def unseal(receipt: str, sealed: str) -> str | None:
    """The choice a sealed text holds, or None if this receipt does not open it."""
    try:
        raw = bytes.fromhex(sealed)
        plain = _key(receipt).decrypt(raw[:_NONCE], raw[_NONCE:], None)
    except (ValueError, InvalidTag):
        return None
    return plain.rstrip(b"\0").decode(errors="replace")
