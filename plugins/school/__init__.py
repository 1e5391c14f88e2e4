"""Liceo Linguistico Statale Ninni Cassarà (Palermo).

ATA staff: pause rule, recovery, missed stamps, badge fees.
"""

from importlib.metadata import version
from pathlib import Path

from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec


@hookimpl
def timbra_institutions() -> list[InstitutionSpec]:
    return [
        InstitutionSpec(
            id="school",
            name="Liceo Linguistico Statale Ninni Cassarà (Palermo)",
            rules=(Path(__file__).parent / "school.rules",),
            plugin=__name__,
            version=version("timbra"),
        )
    ]
