"""One prepared statement, run straight through libpq: the claim's hot path.

A claim is one call of a PL/pgSQL function (`pools.claim_sql`). Through a psycopg cursor
that call cost ~110 µs of the caller's CPU, through the connection's libpq handle ~50 µs
(/proc CPU per call, one process, the same function): the cursor's layers (its lock, the
query's conversion, the generator it waits through, the row's loaders) were most of a
claim's Python, and with fifty reps claiming at once on two cores that CPU is what queues
them (bench/pool.py).

Only for a statement that is its own transaction: psycopg opens a transaction itself
(BEGIN) before the first statement when autocommit is off, and this path goes around it,
so `claim_sql` takes it only in autocommit and goes through a cursor otherwise.

Non-blocking, as psycopg itself works: the statement is sent, then the thread waits on
the socket with poll(), without the GIL, so a claim queued on a lock never stalls the
server's other threads (tests/test_pool_claim_sql.py), whatever a binding's blocking call
would do. Errors come back as psycopg's own exceptions (`errors.error_from_result`), so
Django's error wrapping and the callers see what a cursor would have raised.
"""

from __future__ import annotations

import select
from datetime import datetime, time

import psycopg
from psycopg import errors, pq

# How a text-format result column becomes a Python value, by the column's SQL type.
_DECODE = {
    "text": lambda raw: raw.decode(),
    "bigint": int,
    "integer": int,
    "boolean": lambda raw: raw == b"t",
    "time": lambda raw: time.fromisoformat(raw.decode()),
}


def _encode(value) -> bytes | None:
    """A parameter in PostgreSQL's text format (each is cast in the statement's SQL)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().encode()
    return str(value).encode()


class PreparedCall:
    """A statement prepared once per connection under `name` (`sql` with $1… parameters,
    each cast to its type), returning one row of `columns` ((name, SQL type) pairs)."""

    def __init__(self, *, name: str, sql: str, columns: list[tuple[str, str]]):
        self.name = name.encode()
        self.sql = sql.encode()
        self.decoders = [_DECODE[kind] for _, kind in columns]

    def run(self, raw: psycopg.Connection, params: tuple) -> tuple:
        """Execute on the psycopg connection `raw` (in autocommit); the row's values."""
        session = _Session.of(raw)
        values = [_encode(p) for p in params]
        if raw.prepare_threshold is None:
            # Prepared statements are off (DB_PREPARED_STATEMENTS: a pooler that cannot
            # keep them): parsed and planned on each call, as psycopg would.
            result = session.round_trip(lambda pg: pg.send_query_params(self.sql, values))
            return self._row(result)
        for attempt in (1, 2):
            if self.name not in session.prepared:
                session.round_trip(lambda pg: pg.send_prepare(self.name, self.sql))
                session.prepared.add(self.name)
            try:
                result = session.round_trip(lambda pg: pg.send_query_prepared(self.name, values))
                break
            except errors.InvalidSqlStatementName:
                # Deallocated behind our back (DISCARD ALL by a pooler, say): once more,
                # prepared again.
                session.prepared.discard(self.name)
                if attempt == 2:
                    raise
        return self._row(result)

    def _row(self, result: pq.abc.PGresult) -> tuple:
        get = result.get_value
        return tuple(
            None if (cell := get(0, k)) is None else decode(cell)
            for k, decode in enumerate(self.decoders)
        )


class _Session:
    """What a psycopg connection's libpq handle has been told: the statements prepared on
    it. Kept on the psycopg connection itself (whose handle is its own for life), so a new
    connection starts with none."""

    def __init__(self, raw: psycopg.Connection):
        self.pgconn = raw.pgconn
        self.encoding = raw.info.encoding
        self.prepared: set[bytes] = set()
        self.poll = select.poll()
        self.poll.register(self.pgconn.socket, select.POLLIN)

    @classmethod
    def of(cls, raw: psycopg.Connection) -> _Session:
        session = getattr(raw, "_lr_libpq_session", None)
        if session is None:
            session = raw._lr_libpq_session = cls(raw)
        return session

    def round_trip(self, send) -> pq.abc.PGresult:
        """send(pgconn) one command, wait for its result, return it or raise its error."""
        pg = self.pgconn
        send(pg)
        while pg.flush():  # the rest did not fit the socket's buffer yet
            select.select([], [pg.socket], [])
        while True:
            pg.consume_input()
            if not pg.is_busy():
                break
            self.poll.poll()
        result = pg.get_result()
        while pg.get_result() is not None:  # a command's results end with a null one
            pass
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=self.encoding)
        return result
