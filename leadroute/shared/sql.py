"""Hand-written SQL on the hot paths: several statements, one round trip."""

from __future__ import annotations

from django.db import connection


def run_batch(statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """Run statements in order and return each one's rows, in one round trip.

    Each statement still takes its own snapshot (READ COMMITTED), so a lock taken by one is
    honoured by the reads after it.
    """
    results = []
    with connection.cursor() as cursor:
        cursor.execute(
            ";\n".join(sql for sql, _ in statements),
            [p for _, params in statements for p in params],
        )
        results.append(cursor.fetchall() if cursor.description else [])
        while cursor.nextset():
            results.append(cursor.fetchall() if cursor.description else [])
    return results


def placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))
