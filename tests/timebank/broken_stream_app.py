"""The app as gunicorn serves it, except that the statement CSV's third batch fails.

For tests/timebank/test_statement_stream.py only: it stands for a database
that goes away in the middle of a download. One worker, so one count.
"""

from app import create_app
from timebank import statements

_read_batch = statements._fetch
_batches = 0


def _failing_third_batch(*args, **kwargs):
    global _batches
    _batches += 1
    if _batches == 3:
        raise RuntimeError("the database went away in the middle of the download")
    return _read_batch(*args, **kwargs)


statements._fetch = _failing_third_batch
app = create_app()
