"""Università degli Studi di Milano.

Badge terminals, codes, rounding, lunch bands, allowances.
"""

from pathlib import Path

from server.plugins import institution_plugin

timbra_institutions = institution_plugin(
    id="university",
    name="Università degli Studi di Milano",
    rule_file=Path(__file__).with_name("university.rules"),
    plugin=__name__,
    distribution="timbra",
)
