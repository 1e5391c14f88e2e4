"""The `.po` catalogues under `locale/`, compiled in memory when first used.

Compiling at load time keeps the repository free of `.mo` binaries and the install free of
a build step: the `.po` files are the single source, read with Babel.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("it", "en")
DEFAULT = "it"
DOMAIN = "timbra"
FOLDER = Path(__file__).resolve().parent / "locale"


def po_path(locale: str) -> Path:
    return FOLDER / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(locale: str) -> Catalog:
    with po_path(locale).open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of `locale`; an unknown locale gets the default one."""
    if locale not in LOCALES:
        locale = DEFAULT
    compiled = BytesIO()
    write_mo(compiled, read_catalogue(locale))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
