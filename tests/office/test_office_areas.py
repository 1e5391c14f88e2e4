"""The area form's numbers as an Italian office types them (seed 002: the app stamps only
"all'interno dell'area"): a decimal comma or point, each refusal naming its field."""

from __future__ import annotations

import pytest

from server.errors import OfficeError
from server.office.areas import coordinate, radius


@pytest.mark.parametrize(("typed", "field", "value"), [
    ("45,4605", "latitude", 45.4605), ("45.4605", "latitude", 45.4605),
    (" 9,1900 ", "longitude", 9.19), ("-33,8688", "latitude", -33.8688),
    ("180", "longitude", 180.0), ("-90", "latitude", -90.0)])
def test_a_coordinate_with_a_comma_or_a_point(typed: str, field: str, value: float) -> None:
    assert coordinate(typed, field) == value


def test_out_of_range_is_refused_clearly() -> None:
    with pytest.raises(OfficeError) as latitude:
        coordinate("91,5", "latitude")
    assert latitude.value.field == "latitude"
    assert latitude.value.italian == (
        "La latitudine 91,5 è fuori intervallo: deve stare tra -90 e 90")
    with pytest.raises(OfficeError) as longitude:
        coordinate("-180.01", "longitude")
    assert longitude.value.english == (
        "The longitude -180.01 is out of range: it must lie between -180 and 180")


@pytest.mark.parametrize("typed", ["", "abc", "45,46,05", "45°27'", "1e5", "nan", "inf",
                                   "4_5", "٤٥", "45, 4605"])
def test_what_is_not_a_decimal_number_is_refused(typed: str) -> None:
    with pytest.raises(OfficeError) as refused:
        coordinate(typed, "longitude")
    assert refused.value.field == "longitude"
    assert "non è un numero" in refused.value.italian and "45,4605" in refused.value.italian


def test_the_radius_is_whole_metres_from_10_to_5000() -> None:
    assert radius("150") == 150 and radius("300 m") == 300
    for typed in ("5", "5001", "150,5", "²", "-20", ""):
        with pytest.raises(OfficeError) as refused:
            radius(typed)
        assert refused.value.field == "radius_m"
        assert "da 10 a 5000" in refused.value.italian
