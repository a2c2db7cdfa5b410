"""The real lead data sets (`SHARED_DATA_DIR`, ../shared/data beside a checkout).

A newcomer's clone may not have them: their tests skip, saying where they looked. CI has
them, and sets REQUIRE_SHARED_DATA=1 (.ci/run) so that a missing folder fails there
instead of passing quietly with those tests skipped."""

import os
from pathlib import Path

import pytest
from django.conf import settings


def shared_data(*parts: str) -> Path:
    """The path of a shared data file; skips the test (fails it in CI) when absent."""
    path = Path(settings.SHARED_DATA_DIR, *parts)
    if not path.exists():
        message = f"{path} is absent: the shared real-data folder is not here (SHARED_DATA_DIR)"
        if os.environ.get("REQUIRE_SHARED_DATA", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + ", and REQUIRE_SHARED_DATA is set")
        pytest.skip(message)
    return path
