"""Hash chains that reveal a row changed behind the app's back.

Each chained row stores a SHA-256 digest of its own content and of the digest
before it. Changing, deleting or inserting a row anywhere but at the end breaks
every digest after it, so a recount names the first row that was changed. The
audit log is one chain; each hour account is a chain of the transfers that
touch it (timebank.chain), so transfers on different accounts never wait on
one another.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

GENESIS = ""  # the digest "before" the first row of a chain


def _part(value) -> str:
    if value is None:
        return "~"
    if isinstance(value, datetime):
        value = value.isoformat(timespec="microseconds")
    text = str(value)
    # length-prefixed, so no value can imitate a separator
    return f"{len(text)}:{text}"


def chain_digest(previous: tuple[str, ...], fields: tuple) -> str:
    """The digest of a row whose chain(s) ended at ``previous``, with content ``fields``."""
    material = "|".join(previous) + "#" + ",".join(_part(value) for value in fields)
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
