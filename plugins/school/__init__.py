"""Liceo Linguistico Statale Ninni Cassarà (Palermo).

ATA staff: pause rule, recovery, missed stamps, badge fees.
"""

from pathlib import Path

from server.plugins import institution_plugin

timbra_institutions = institution_plugin(
    id="school",
    name="Liceo Linguistico Statale Ninni Cassarà (Palermo)",
    rule_file=Path(__file__).with_name("school.rules"),
    plugin=__name__,
    distribution="timbra",
)
