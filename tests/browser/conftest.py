"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

The whole directory skips (one line) when Chromium or the playwright package is missing;
otherwise every test here carries the `browser` marker and runs in `make test`. One Chromium
serves the whole session; each test opens its own contexts (desktop 1280×900, phone 390×844)
and every request of every context is watched: a request to another host fails the test.

Never `playwright install`: the tests use /usr/bin/chromium (or `chromium` on PATH).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.helpers import DEVICES, NetworkWatch, watch_network

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def _find_chromium() -> str | None:
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if _find_chromium() is None:
        return "browser tests need Debian's Chromium (/usr/bin/chromium or chromium on PATH)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright Python package"
    return None


CHROMIUM = _find_chromium()
UNAVAILABLE = _unavailable()
HERE = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


# Without Chromium or playwright the test files are not collected; one item stands for the
# directory and skips, so the summary says why in one line.
class _BrowserTestsUnavailable(pytest.Item):
    def runtest(self) -> None:
        pytest.skip(UNAVAILABLE)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "browser tests"


class _BrowserDirectory(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield _BrowserTestsUnavailable.from_parent(self, name="browser tests")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if UNAVAILABLE and HERE in collection_path.parents and collection_path.name != "conftest.py":
        return True
    return None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if UNAVAILABLE and file_path == HERE / "conftest.py":
        return _BrowserDirectory.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django refuses ORM calls
    # from a thread with a running loop unless told that this is deliberate.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _browser_test_environment(settings) -> Iterator[None]:
    """Mail is delivered at once (into locmem) as a worker would; rate-limit counters and
    the pages checked by earlier tests are forgotten."""
    from django.core.cache import cache

    from portal.celery import app as celery_app
    from tests.browser import a11y, helpers

    cache.clear()
    a11y.forget_checked_pages()
    helpers.forget_watches()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """A factory of pages, each in its own context (its own cookies: one person each).

    `new_page("phone")` or `new_page("desktop")`; `javascript=False` for mail rendering.
    At the end every request of every context must have stayed on the live server.
    """
    opened: list[tuple[Page, NetworkWatch]] = []

    def open_page(device: str = "desktop", *, javascript: bool = True) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            java_script_enabled=javascript,
            **DEVICES[device],
        )
        context.set_default_timeout(10_000)
        watch = watch_network(context, allowed_origin=live_server.url)
        page = context.new_page()
        # A confirm() before sending or deciding: the person who clicked means it.
        page.on("dialog", lambda dialog: dialog.accept())
        opened.append((page, watch))
        return page

    yield open_page
    try:
        for _, watch in opened:
            watch.assert_stayed_home()
    finally:
        for page, _ in opened:
            page.context.close()


@pytest.fixture
def desktop(new_page: Callable[..., Page]) -> Page:
    return new_page("desktop")


@pytest.fixture
def phone(new_page: Callable[..., Page]) -> Page:
    return new_page("phone")


@pytest.fixture
def clock() -> Iterator[object]:
    """The walkthrough's clock, running from Monday 6 September 2027, 09:00 JST. Request it
    before `council` so that the council's terms are counted from that day. The live server
    runs in a thread of this process, so it sees the same time; `clock.move_to(...)` jumps."""
    import time_machine

    from tests.browser.helpers import START

    with time_machine.travel(START, tick=True) as traveller:
        yield traveller
