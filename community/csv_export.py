"""CSV downloads that Excel opens in Chinese and that never run a formula.

The time bank's exports (timebank/reports.py, timebank/statements.py) wrote
these first; they live here, in the package every other one may import, so
community's own exports (the audit log) use them without importing the time
bank (dependencies point one way: marketplace → timebank → community).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator


def spreadsheet_safe(text: str) -> str:
    """The cell text, quoted if it would start a formula (= + - @) in Excel."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_chunks(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV text in chunks: a UTF-8 BOM (so Excel reads Chinese), the header, then rows.

    Text cells are made safe from formula injection; numbers are written as they are.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([spreadsheet_safe(str(cell)) for cell in header])
    yield "\ufeff" + flush()
    for count, row in enumerate(rows, start=1):
        writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in row])
        if count % 100 == 0:
            yield flush()
    yield flush()
