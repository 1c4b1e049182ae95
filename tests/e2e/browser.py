"""Launch Debian's Chromium through Playwright (async API).

    from tests.e2e.browser import launch_chromium

    async with launch_chromium() as browser:
        page = await browser.new_page()
        ...

Playwright's bundled browsers are not installed; we drive /usr/bin/chromium instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from playwright.async_api import Browser, async_playwright

from tests.services import chromium_path

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@asynccontextmanager
async def launch_chromium(extra_args: Sequence[str] = (), **launch_kwargs: Any) -> AsyncIterator[Browser]:
    """Start headless Chromium and yield the Browser; closes it (and Playwright) on exit.

    Raises RuntimeError when no Chromium is available -- callers (fixtures) should check
    `tests.services.chromium_path()` first and skip.
    """
    executable = chromium_path()
    if executable is None:
        raise RuntimeError(
            "no Chromium: install Debian's chromium or set FRONTDESK_TEST_CHROMIUM (scripts/test-services.sh does both)"
        )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[*CHROMIUM_ARGS, *extra_args],
            **launch_kwargs,
        )
        try:
            yield browser
        finally:
            await browser.close()
