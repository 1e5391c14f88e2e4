"""Università degli Studi di Milano.

Badge terminals, codes, rounding, lunch bands, allowances.
"""

from importlib.metadata import version
from pathlib import Path

from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec


@hookimpl
def timbra_institutions() -> list[InstitutionSpec]:
    return [
        InstitutionSpec(
            id="university",
            name="Università degli Studi di Milano",
            rules=(Path(__file__).parent / "university.rules",),
            plugin=__name__,
            version=version("timbra"),
        )
    ]
