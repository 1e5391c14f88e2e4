"""Camera di Commercio di Caserta.

Web stamping from the workstation, credentials, signature sheets.
"""

from pathlib import Path

from server.plugins import institution_plugin

timbra_institutions = institution_plugin(
    id="chamber",
    name="Camera di Commercio di Caserta",
    rule_file=Path(__file__).with_name("chamber.rules"),
    plugin=__name__,
    distribution="timbra",
)
