"""Translation helper: list untranslated messages, or fill them from a JSON file.

    python scripts/po_fill.py missing             # prints a JSON object of untranslated msgids
    python scripts/po_fill.py fill new.json       # sets msgstr for each msgid in new.json

Run `make extract-messages` first so the catalogue holds every msgid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parent.parent / "translations/zh/LC_MESSAGES/messages.po"


def _load():
    with CATALOGUE.open("rb") as f:
        return read_po(f, locale="zh")


def missing() -> dict[str, str]:
    catalog = _load()
    return {
        (m.id[0] if isinstance(m.id, tuple) else m.id): ""
        for m in catalog
        if m.id and (not any(m.string) if isinstance(m.string, tuple) else not m.string or m.fuzzy)
    }


def fill(mapping: dict[str, str]) -> int:
    catalog = _load()
    filled = 0
    for message in catalog:
        # a plural message is filled under its singular msgid (Chinese has one form)
        plural = isinstance(message.id, tuple)
        msgid = message.id[0] if plural else message.id
        if msgid in mapping and mapping[msgid]:
            message.string = (mapping[msgid],) if plural else mapping[msgid]
            message.flags.discard("fuzzy")
            filled += 1
    with CATALOGUE.open("wb") as f:
        write_po(f, catalog, width=100)
    return filled


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "missing":
        print(json.dumps(missing(), ensure_ascii=False, indent=1))
    elif len(sys.argv) == 3 and sys.argv[1] == "fill":
        mapping = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        print(f"filled {fill(mapping)} messages")
    else:
        print(__doc__)
        sys.exit(2)
