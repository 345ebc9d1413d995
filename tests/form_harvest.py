"""The forms the app's pages show, filled in as a person would leave them.

Fuzzing a form's fields one or two at a time only reaches the services if the
other fields hold what the page offered: its hidden keys and ids, the first
choice of each list, the value each box already shows. ``harvest`` reads them
off the pages (stdlib HTML parser, no browser).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from timebank.clock import local_today

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


@dataclass
class PageForm:
    """One <form>: where it goes, how, and its fields as (name, value) pairs."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    @property
    def target(self) -> str:
        """The action as a path and query, for the test client."""
        parts = urlsplit(self.action)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def _empty_value(kind: str) -> str:
    """What a person would type into an empty box of this type."""
    if kind == "date":
        return (local_today() + timedelta(days=1)).isoformat()
    if kind == "month":
        return local_today().strftime("%Y-%m")
    if kind == "time":
        return "10:00"
    if kind == "number":
        return "1"
    return ""


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._radios: set[str] = set()
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = PageForm(action, (a.get("method") or "get").upper())
            self._radios = set()
            return
        if self._form is None or not a.get("name") and tag != "option":
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind == "checkbox":
                if "checked" in a:
                    self._form.fields.append((name, a.get("value", "y")))
            elif kind == "radio":
                if name not in self._radios and ("checked" in a or a.get("value")):
                    self._radios.add(name)
                    self._form.fields.append((name, a.get("value", "")))
            else:
                self._form.fields.append((name, a.get("value") or _empty_value(kind)))
        elif tag == "select":
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_value is None and value or "selected" in a:
                self._select_value = value
        elif tag == "textarea":
            self._textarea, self._text = name, []

    def handle_data(self, data) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag) -> None:
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields.append((self._textarea, "".join(self._text) or "3"))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


def page_forms(page_url: str, html: str) -> list[PageForm]:
    """Every form on the page at ``page_url``."""
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms


def harvest(client, urls: list[str]) -> list[PageForm]:
    """The forms on each of ``urls`` (pages that answer 200, as ``client`` sees them)."""
    found: list[PageForm] = []
    for url in urls:
        response = client.get(url)
        page = response.get_data(as_text=True)  # to its end: a streamed CSV closes its cursor
        if response.status_code == 200 and response.mimetype == "text/html":
            found.extend(page_forms(f"http://localhost{url}", page))
        response.close()
    return found
