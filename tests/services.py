"""Tests that need a service this machine may lack: PostgreSQL, Redis, chromium, msgfmt.

On a developer's machine such a test skips, with the reason. Where the services are
required it fails instead, so that a run cannot go green by skipping what it was meant to
check. They are required when `CI` is true (CI sets it, and `.ci/run` sets it when it is
unset) or when `TESSERA_REQUIRE_SERVICES=1`: `config/settings/test.py` reads the two
variables into `TEST_REQUIRE_SERVICES`, and there refuses to fall back to SQLite.

Every skip for a missing service goes through `require_or_skip`.
"""

from __future__ import annotations

from typing import NoReturn

import pytest
from django.conf import settings

REQUIRED_BY = "CI=true or TESSERA_REQUIRE_SERVICES=1"


def require_or_skip(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it where the services are required."""
    if settings.TEST_REQUIRE_SERVICES:
        pytest.fail(f"{reason} (required: {REQUIRED_BY})", pytrace=False)
    pytest.skip(reason)
