"""The Chinese catalogue is complete: every message in the code and templates
has a real (non-empty, non-fuzzy) zh_CN translation with the same placeholders,
and the compiled catalogue the app loads says the same as the .po file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from config import Config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    strings = message.string
    return tuple(strings) if isinstance(strings, (tuple, list)) else (strings,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every message in the code, extracted the way `make extract-messages` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k",
         "lazy_gettext", "--ignore-dirs=.* ._ tests bench", "-o", str(pot), str(ROOT)]
    )  # fmt: skip
    with pot.open("rb") as f:
        catalog = read_po(f)
    messages = [m for m in catalog if m.id]
    assert messages, "the extractor found no messages at all"
    return messages


@pytest.fixture(scope="module")
def compiled_path() -> Path:
    """The compiled Chinese catalogue that Flask-Babel loads for the default locale."""
    locale = Locale.parse(Config.BABEL_DEFAULT_LOCALE)
    translations = Translations.load(str(TRANSLATIONS), [locale])
    files = getattr(translations, "files", [])
    assert files, (
        f"no compiled catalogue for {locale} under translations/ "
        "(run `make translations`; gettext looks for it as " + str(locale) + ")"
    )
    return Path(files[0])


@pytest.fixture(scope="module")
def chinese(compiled_path):
    po = compiled_path.with_suffix(".po")
    assert po.exists(), f"{po} is missing"
    with po.open("rb") as f:
        return read_po(f, locale=Config.BABEL_DEFAULT_LOCALE)


def test_every_message_has_a_chinese_translation(extracted, chinese):
    missing = []
    for message in extracted:
        translated = chinese.get(message.id, context=message.context)
        if translated is None or translated.fuzzy or not all(_strings(translated)):
            missing.append(_ids(message)[0])
    assert missing == [], f"{len(missing)} message(s) without Chinese: {missing[:40]}"


def test_placeholders_match(chinese):
    mismatched = []
    for message in chinese:
        if not message.id or not all(_strings(message)):
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(_ids(message))))
        for string in _strings(message):
            if set(PLACEHOLDER.findall(string)) != wanted:
                mismatched.append((_ids(message)[0], string))
    assert mismatched == [], f"placeholders differ: {mismatched[:20]}"


def test_compiled_catalogue_matches_the_po_file(compiled_path, chinese):
    with compiled_path.open("rb") as f:
        compiled = read_mo(f)
    stale = []
    for message in chinese:
        if not message.id or message.fuzzy or not all(_strings(message)):
            continue
        built = compiled.get(message.id, context=message.context)
        if built is None or _strings(built) != _strings(message):
            stale.append(_ids(message)[0])
    assert stale == [], f"{compiled_path} is out of date (run `make translations`): {stale[:20]}"
