"""Accademia di Belle Arti di Macerata.

Keypad codes, 36-hour week, flexibility balance, EP staff.
"""

from importlib.metadata import version
from pathlib import Path

from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec


@hookimpl
def timbra_institutions() -> list[InstitutionSpec]:
    return [
        InstitutionSpec(
            id="academy",
            name="Accademia di Belle Arti di Macerata",
            rules=(Path(__file__).parent / "academy.rules",),
            plugin=__name__,
            version=version("timbra"),
        )
    ]
