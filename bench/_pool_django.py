"""Django for the pool benchmarks (bench/pool.py, bench/claim_parts.py), set up on import,
against the database in DATABASE_URL as given (migrated). Import it before anything of
Django's or the project's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret")
os.environ.setdefault("DEBUG", "false")
# No collectstatic needed: plain static storage (the figures are about views, not files).
os.environ.setdefault("STATIC_MANIFEST", "false")

import django  # noqa: E402

django.setup()
