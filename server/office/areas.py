"""The areas the office draws (Geofence rows), drawing and removing them (audited), and
whether a position falls inside one.

Seed 002: the app stamps only "all'interno dell'area" of the institution. The phone sends
its position once with the stamp; it is compared here and then forgotten: nothing of it
is stored, logged or audited, not even which area matched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db.models import Geofence, User
from server.errors import NotFound, OfficeError
from server.office.audit import record
from server.office.people import require_office

EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): exact enough at the scale of a campus."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def valid_position(latitude: float, longitude: float) -> bool:
    return (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180)


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
    if not (valid_position(latitude, longitude) and 10 <= radius_m <= 5000):
        raise OfficeError("Posizione non valida o raggio fuori da 10–5000 m",
                          "Invalid position or radius outside 10–5000 m")
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
