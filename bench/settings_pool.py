"""The project's settings plus a psycopg connection pool (Django ≥ 5.1), which is how a
Django ASGI deployment should reach PostgreSQL: under ASGI every request runs in a fresh
thread, so without a pool each request opens (and warms the catalog caches of) a new
PostgreSQL backend. bench/intake.py serves with this unless --no-pool."""

from leadroute.settings import *  # noqa: F403
from leadroute.settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not Django
DATABASES["default"]["OPTIONS"] = {
    **DATABASES["default"].get("OPTIONS", {}),
    "pool": {"min_size": 4, "max_size": 20, "timeout": 10},
}
