"""The English catalogue keeps up with the Dutch source strings.

The UI is written in Dutch (the msgids); English comes from ``crm/translations/en``. These
tests extract the messages from the sources in-process, with the same configuration as
``pybabel extract`` (``crm/translations/babel.cfg``), so whoever adds or changes a Dutch
string is told to add its English. No database is needed.

To fix a failure: run the extract/update commands in ``crm/translations/README.md``, fill in
the empty or fuzzy entries of the ``.po`` file and run the compile command.
"""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "crm" / "translations"
# The directories given to ``pybabel extract``; babel.cfg patterns are relative to each.
SOURCE_DIRS = ("crm", "templates")
EXTRA_KEYWORDS = ("_l", "lazy_gettext")
LOCALES = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))

# %(name)s, %(count)d, ... and positional %s / %d (but not a literal %%).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def as_tuple(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def describe(message: Message) -> str:
    text = as_tuple(message.id)[0]
    return f"{text!r}" + (f" (context {message.context!r})" if message.context else "")


def not_hidden(dirpath) -> bool:
    """As ``--ignore-dirs=".*"``: Babel skips directories starting with "_" by default, which
    would leave templates/_macros out."""
    return not Path(dirpath).name.startswith(".")


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """All messages in the sources, as ``pybabel extract`` with babel.cfg would find them."""
    with open(TRANSLATIONS / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(TRANSLATIONS / "babel.cfg"))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}
    catalog = Catalog(domain="messages")
    for source in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / source, method_map, options_map, keywords=keywords, directory_filter=not_hidden
        ):
            catalog.add(message, None, [(f"{source}/{filename}", lineno)], context=context)
    return catalog


def load_po(locale: str) -> Catalog:
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def test_english_catalogue_exists():
    assert "en" in LOCALES, "crm/translations/en/LC_MESSAGES/messages.po is missing"


def test_extraction_finds_the_sources(extracted):
    """Guard the guard: a broken babel.cfg would extract nothing and let everything pass."""
    ids = {as_tuple(m.id)[0] for m in extracted if m.id}
    assert len(ids) > 50
    assert {"Mijn werkvoorraad", "Afmelden", "Beheerder"} <= ids  # a template, a view and a lazy label


@pytest.mark.parametrize("locale", LOCALES)
def test_every_source_string_is_translated(extracted, locale):
    catalogue = load_po(locale)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        entry = catalogue.get(message.id if isinstance(message.id, str) else message.id[0], message.context)
        if entry is None or not all(s.strip() for s in as_tuple(entry.string or "")):
            where = ", ".join(f"{path}:{line}" for path, line in message.locations[:3])
            missing.append(f"  {describe(message)}  [{where}]")
    assert not missing, (
        f"{len(missing)} message(s) have no {locale} translation in "
        f"crm/translations/{locale}/LC_MESSAGES/messages.po (see crm/translations/README.md):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fuzzy_translations(locale):
    catalogue = load_po(locale)
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy, so compile would skip the whole file"
    fuzzy = [f"  {describe(m)}" for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, "Review these translations and remove their '#, fuzzy' flag:\n" + "\n".join(fuzzy)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match(locale):
    wrong = []
    for message in load_po(locale):
        if not message.id or not message.string:
            continue
        expected = placeholders(as_tuple(message.id)[0])
        for translation in as_tuple(message.string):
            if translation and placeholders(translation) != expected:
                wrong.append(f"  {describe(message)}: expects {expected}, got {placeholders(translation)}")
    assert not wrong, "Placeholders differ between Dutch and translation:\n" + "\n".join(wrong)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_compiles(locale, tmp_path):
    catalogue = load_po(locale)
    errors = [f"  {describe(m)}: {'; '.join(map(str, errs))}" for m, errs in catalogue.check()]
    assert not errors, "pybabel compile would report:\n" + "\n".join(errors)

    mo_path = tmp_path / "messages.mo"
    with open(mo_path, "wb") as f:
        write_mo(f, catalogue)
    with open(mo_path, "rb") as f:
        compiled = gettext.GNUTranslations(io.BytesIO(f.read()))
    for message in catalogue:
        if message.id and isinstance(message.id, str) and not message.context:
            assert compiled.gettext(message.id) == message.string
