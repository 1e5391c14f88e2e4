"""Accademia di Belle Arti di Macerata.

Keypad codes, 36-hour week, flexibility balance, EP staff.
"""

from pathlib import Path

from server.plugins import institution_plugin

timbra_institutions = institution_plugin(
    id="academy",
    name="Accademia di Belle Arti di Macerata",
    rule_file=Path(__file__).with_name("academy.rules"),
    plugin=__name__,
    distribution="timbra",
)
