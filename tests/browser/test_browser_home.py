"""Each role's home page in Chromium, on a phone (375×667) and a desk: the menu leaves the
first screen to the page, and the role's block starts on it. Screenshots of each home page
go to tests/artifacts/ for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest
from chromium import ARTIFACTS

from server.demo.users import demo_password

pytestmark = pytest.mark.browser

INSTITUTION = "university"
NEW_PASSWORD = "Nuova-password-2026"
PHONE = {"width": 375, "height": 667}
DESK = {"width": 1280, "height": 900}
# Each role's block and the words that open it, as the Italian page shows them.
BLOCKS = {"employee": ("#today", "La tua giornata"), "manager": ("#unit", "La tua unità oggi"),
          "office": ("#month", "Il mese"), "admin": ("#terminals", "Terminali non collegati")}
SUFFIX = {"employee": "dipendente", "manager": "responsabile", "office": "personale",
          "admin": "admin"}


def _first_login(page: Any, base: str, role: str) -> None:
    """The demo password is a one-time one: changed at the first login."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", f"{INSTITUTION}.{SUFFIX[role]}")
    page.fill("input[name=password]", demo_password(INSTITUTION, role))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/password")
    page.fill("input[name=current]", demo_password(INSTITUTION, role))
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("role", list(BLOCKS))
def test_each_home_page_starts_on_a_phones_first_screen(base_url: str, browser: Any,
                                                        role: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="it-IT", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    _first_login(page, base_url, role)
    header = page.locator("header.top").bounding_box()
    assert header is not None
    # The menu used to take 40 % of a phone's first screen.
    assert header["height"] <= 0.25 * PHONE["height"], header
    selector, words = BLOCKS[role]
    block = page.locator(selector)
    assert words in block.locator("h2").inner_text()
    box = block.bounding_box()
    assert box is not None and box["y"] < PHONE["height"] * 0.6, box
    # No sideways scrolling of the page: only the menu's own row scrolls.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    assert page.locator("header.top a.bell").inner_text().startswith("Notifiche")
    page.screenshot(path=str(ARTIFACTS / f"home-{role}-phone.png"), full_page=False)
    page.set_viewport_size(DESK)
    page.reload()
    page.screenshot(path=str(ARTIFACTS / f"home-{role}-desktop.png"), full_page=True)
    context.close()
