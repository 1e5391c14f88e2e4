"""The areas the office draws (Geofence rows), drawing and removing them (audited), and
whether a position falls inside one.

Seed 002: the app stamps only "all'interno dell'area" of the institution. The phone sends
its position once with the stamp; it is compared here and then forgotten: nothing of it
is stored, logged or audited, not even which area matched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Geofence, User
from server.errors import NotFound, OfficeError
from server.office.audit import record
from server.office.people import require_office

EARTH_RADIUS_M = 6_371_000.0
RADIUS_M = (10, 5000)
# A coordinate as people type it: "45,4605" (Italian decimal comma) or "45.4605".
DECIMAL = re.compile(r"[+-]?[0-9]{1,3}(?:[.,][0-9]{1,12})?")
# field: (Italian name, English name, lowest, highest)
COORDINATES = {"latitude": ("latitudine", "latitude", -90.0, 90.0),
               "longitude": ("longitudine", "longitude", -180.0, 180.0)}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): exact enough at the scale of a campus."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def valid_position(latitude: float, longitude: float) -> bool:
    return (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180)


def coordinate(text: str, field: str) -> float:
    """A latitude or longitude from a form: decimal comma or point, in its range."""
    italian, english = COORDINATES[field][:2]
    value = text.strip()
    if not DECIMAL.fullmatch(value):
        raise OfficeError(
            f"La {italian} «{value[:40]}» non è un numero: scrivila in gradi decimali, "
            "per esempio 45,4605 o 45.4605",
            f"The {english} “{value[:40]}” is not a number: write it in decimal degrees, "
            "for example 45.4605 or 45,4605", field=field)
    return within(float(value.replace(",", ".")), field, value)


def within(number: float, field: str, shown: str) -> float:
    """`number` if inside the range of `field` (latitude, longitude); NaN never is."""
    italian, english, low, high = COORDINATES[field]
    if not low <= number <= high:
        raise OfficeError(
            f"La {italian} {shown} è fuori intervallo: deve stare tra {low:g} e {high:g}",
            f"The {english} {shown} is out of range: it must lie between {low:g} and "
            f"{high:g}", field=field)
    return number


def radius(text: str) -> int:
    """The radius in whole metres, within `RADIUS_M`."""
    value = text.strip().removesuffix("m").strip()
    low, high = RADIUS_M
    if not (value.isascii() and value.isdigit() and len(value) <= 6 and low <= int(value) <= high):
        raise OfficeError(
            f"Il raggio «{text.strip()[:40]}» non è valido: serve un numero intero di metri "
            f"da {low} a {high}",
            f"The radius “{text.strip()[:40]}” is not valid: a whole number of metres from "
            f"{low} to {high} is needed", field="radius_m")
    return int(value)


def area_containing(areas: Iterable[Geofence], latitude: float,
                    longitude: float) -> Geofence | None:
    for area in areas:
        if distance_m(latitude, longitude, area.latitude, area.longitude) <= area.radius_m:
            return area
    return None


def areas_of(session: Session, institution_id: str) -> list[Geofence]:
    return list(session.scalars(select(Geofence).where(
        Geofence.institution_id == institution_id).order_by(Geofence.name, Geofence.id)))


def add_area(session: Session, actor: User, name: str, latitude: float, longitude: float,
             radius_m: int) -> Geofence:
    """A circle inside which a phone may stamp: 10 to 5000 m, named."""
    require_office(actor, "disegnare le aree di timbratura", "draw the stamping areas")
    if not name.strip():
        raise OfficeError("Dai un nome all'area", "Name the area", field="name")
    within(latitude, "latitude", f"{latitude:g}")
    within(longitude, "longitude", f"{longitude:g}")
    radius(str(radius_m))
    area = Geofence(institution_id=actor.institution_id, name=name.strip()[:200],
                    latitude=latitude, longitude=longitude, radius_m=radius_m)
    session.add(area)
    session.flush()
    record(session, actor, "geofence_added", f"geofence:{area.id}",
           {"name": area.name, "radius_m": radius_m})
    return area


def delete_area(session: Session, actor: User, area_id: int) -> None:
    require_office(actor, "togliere le aree di timbratura", "remove the stamping areas")
    area = session.get(Geofence, area_id)
    if area is None or area.institution_id != actor.institution_id:
        raise NotFound("Non trovato", "Not found")
    record(session, actor, "geofence_deleted", f"geofence:{area.id}", {"name": area.name})
    session.delete(area)
