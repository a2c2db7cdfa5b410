"""Django for the pool benchmarks (bench/pool.py, bench/claim_parts.py), set up on import,
against `<DATABASE_URL's database>_bench`, created and migrated if missing (its seeded rows
are kept between runs), never the development database. Import it before anything of
Django's or the project's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _common import bench_env, ensure_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = bench_env()["DATABASE_URL"]  # children inherit it
ensure_database(dict(os.environ))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadroute.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret")
os.environ.setdefault("DEBUG", "false")
# No collectstatic needed: plain static storage (the figures are about views, not files).
os.environ.setdefault("STATIC_MANIFEST", "false")
# The test client speaks plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()
