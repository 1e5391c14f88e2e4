"""The personnel office's pages on a phone (390×844) with the month's anomalies listed: the
page is no wider than the screen. With anomalies, the home page's table of them stretched
the page to 427px, and the employees' page's CSV example to 502px; a phone then shrinks the
whole page to fit, which `scrollWidth - innerWidth` does not see (innerWidth grows with
it), so the width is checked against the screen's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from chromium import ARTIFACTS, demo_site
from sqlalchemy.orm import Session

from server.days.results import refresh_days
from server.db import make_engine
from server.db.models import Employee, Stamp
from server.demo.users import demo_password

pytestmark = pytest.mark.browser

INSTITUTION = "university"
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "Nuova-password-2026"


def _forgotten_exits(database: Path) -> None:
    """Each demo person forgot the last exit of last month's first working day, as people
    do: an open anomaly each on the office's home page."""
    first = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session, session.begin():
            people = session.scalars(sa.select(Employee.id).where(
                Employee.institution_id == INSTITUTION)).all()
            days = set()
            for employee_id in people:
                stamps = session.scalars(sa.select(Stamp).where(
                    Stamp.employee_id == employee_id, Stamp.local_date >= first,
                    Stamp.direction == "out").order_by(Stamp.local_date,
                                                       Stamp.local_minute.desc())).all()
                last_exit = stamps[0]
                last_exit.void = True
                days.add((INSTITUTION, employee_id, last_exit.local_date))
            refresh_days(session, days, datetime.now(UTC))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("phone_width")
    with demo_site(folder) as url:
        _forgotten_exits(folder / "timbra.db")
        yield url


def test_the_office_s_pages_are_no_wider_than_the_phone(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", f"{INSTITUTION}.personale")
    page.fill("input[name=password]", demo_password(INSTITUTION, "office"))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/password")
    page.fill("input[name=current]", demo_password(INSTITUTION, "office"))
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    assert page.locator("#month tbody tr").count() >= 3  # the forgotten exits
    for path in ("/", "/admin/employees"):
        page.goto(base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        name = "home" if path == "/" else path.strip("/").replace("/", "-")
        page.screenshot(path=str(ARTIFACTS / f"phone-width-office-{name}.png"), full_page=True)
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px phone"
    context.close()
