"""The browser tests' fixtures, per module: Chromium, and the app on a demo database of
the module's own (its tests change the demo users' passwords)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chromium import chromium, demo_site


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_site(tmp_path_factory.mktemp("browser")) as url:
        yield url


# Not once per run: while Playwright's sync API is open, its event loop counts as the
# thread's running loop, and the other areas' asyncio.run() would refuse to start.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched
