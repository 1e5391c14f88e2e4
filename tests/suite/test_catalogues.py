"""Every message id the code and the pages use is in both catalogues, and translated into
Italian: a page in Italian can show no English left behind. `make messages` updates them."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from server.i18n.catalogues import LOCALES, read_catalogue

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
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
