"""Camera di Commercio di Caserta.

Web stamping from the workstation, credentials, signature sheets.
"""

from importlib.metadata import version
from pathlib import Path

from server.hookspecs import hookimpl
from server.institutions import InstitutionSpec


@hookimpl
def timbra_institutions() -> list[InstitutionSpec]:
    return [
        InstitutionSpec(
            id="chamber",
            name="Camera di Commercio di Caserta",
            rules=(Path(__file__).parent / "chamber.rules",),
            plugin=__name__,
            version=version("timbra"),
        )
    ]
