"""What a year used before timbra adds to a month's opening: from the month of the
adoption day on, in that year only; a later opening of the same name replaces it."""

from __future__ import annotations

from datetime import date

from server.days.allowance_openings import Opened, with_openings
from server.engine.limits import OVERTIME
from server.engine.month import Opening

ADOPTED = date(2026, 3, 16)


def test_the_minutes_used_before_timbra_count_from_the_adoption_month_of_that_year() -> None:
    opened = [Opened("personal_needs", ADOPTED, 600), Opened(OVERTIME, ADOPTED, 1200)]
    timbra = Opening(allowance_used={"personal_needs": 60}, overtime_used=30)
    assert with_openings(timbra, opened, 2026, 2) == timbra  # before adoption: none
    march = with_openings(timbra, opened, 2026, 3)
    assert march.allowance_used["personal_needs"] == 600 + 60
    assert march.code_used["personal_needs"] == 600  # where a yearly code limit reads it
    assert march.overtime_used == 1200 + 30
    assert with_openings(timbra, opened, 2027, 3) == timbra  # another year starts afresh


def test_a_later_opening_of_the_same_name_replaces_the_earlier() -> None:
    opened = [Opened("personal_needs", ADOPTED, 600),
              Opened("personal_needs", date(2026, 5, 1), 900)]
    assert with_openings(Opening(), opened, 2026, 4).allowance_used == {"personal_needs": 600}
    assert with_openings(Opening(), opened, 2026, 5).allowance_used == {"personal_needs": 900}
