"""Where the test suite finds its external services.

`scripts/test-services.sh` (run by `make test`) starts throw-away PostgreSQL and Redis
servers and exports their URLs; tests that need a service should skip when its URL is
None. Plain helper module: no fixtures, no tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def postgres_url() -> str | None:
    """libpq-style URL (postgresql://...) of a scratch database, or None."""
    return _env("FRONTDESK_TEST_POSTGRES_URL")


def redis_url() -> str | None:
    """redis://host:port/db of a scratch Redis, or None."""
    return _env("FRONTDESK_TEST_REDIS_URL")


def chromium_path() -> str | None:
    """Path of the Chromium binary to drive, or None when there is none.

    FRONTDESK_TEST_CHROMIUM wins; otherwise Debian's /usr/bin/chromium if installed.
    """
    path = _env("FRONTDESK_TEST_CHROMIUM")
    if path:
        return path
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def artifacts_dir() -> Path:
    """Directory for screenshots and other test output (created if missing)."""
    path = Path(_env("FRONTDESK_TEST_ARTIFACTS") or "test-artifacts").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
