"""Every message id the code and the pages use is in both catalogues, and translated into
Italian: a page in Italian can show no English left behind. `make messages` updates them."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

from babel.messages.extract import extract_from_dir

from server.i18n.catalogues import LOCALES, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Nn_": (1, 2)}
# As `server/i18n/babel.cfg` says: the rule language marks its messages `M(...)`.
METHODS = [("server/**.py", "python"), ("dsl/**.py", "python"),
           ("server/web/templates/**.html", "jinja2")]
OPTIONS = {"server/web/templates/**.html": {"extensions": "jinja2.ext.i18n"},
           "dsl/**.py": {"keywords": {"M": None}}}


def used_ids() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, METHODS, OPTIONS, KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_id_is_in_both_catalogues_and_none_is_left_over() -> None:
    used = used_ids()
    assert "Timecard" in used  # the extraction itself works
    assert "unknown code '{}'" in used  # and reaches the rule language's messages
    for locale in LOCALES:
        listed = {m.id if isinstance(m.id, str) else m.id[0]
                  for m in read_catalogue(locale) if m.id}
        assert sorted(used - listed) == [], f"missing from {locale}: run `make messages`"
        assert sorted(listed - used) == [], f"left over in {locale}: run `make messages`"


def test_every_message_has_its_italian() -> None:
    untranslated = [m.id for m in read_catalogue("it") if m.id and not m.string]
    assert untranslated == []


def test_every_italian_plural_has_each_of_its_forms() -> None:
    """Babel's Italian has three forms (one, many, other: "other" is the common plural);
    an empty form is English on the page for every count it covers."""
    catalogue = read_catalogue("it")
    missing = [m.id[0] for m in catalogue if m.pluralizable and (
        len(m.string) < catalogue.num_plurals or not all(m.string))]
    assert missing == []


def test_every_italian_rule_file_message_fills_the_fields_of_its_english_one() -> None:
    """A rule file's message (`dsl.errors.M`) is filled with `str.format`: its Italian must
    take the same arguments, or the page would fall back to English."""
    rule_ids = {message for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "dsl", [("**.py", "python")], {}, {"M": None})}
    assert "unexpected end of file" in rule_ids and len(rule_ids) > 150
    italian = {m.id: m.string for m in read_catalogue("it") if m.id in rule_ids}
    for message_id, text in italian.items():
        try:
            fields = sum(1 for _, name, _, _ in Formatter().parse(message_id) if name is not None)
            args = [f"<{n}>" for n in range(fields)]
            message_id.format(*args)
        except (KeyError, ValueError):  # braces of the language itself: no arguments to fill
            continue
        if fields:
            filled = text.format(*args)
            assert all(a in filled for a in args), (message_id, text)


def test_every_message_with_a_plural_is_known_to_the_pages_that_word_it() -> None:
    """A step keeps the singular of a message marked `Nn_`; the page finds its plural in
    `PLURALS`, filled as the modules that mark them are imported: the web app imports them
    all, or a page would say "1½ day"."""
    import server.web.app  # noqa: F401  (what a running server has imported)
    from server.i18n.current import PLURALS

    marked = {message for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "server", [("**.py", "python")], {}, {"Nn_": (1, 2)}) if isinstance(message, tuple)}
    assert len(marked) >= 14
    assert sorted(m for m in marked if PLURALS.get(m[0]) != m[1]) == []
