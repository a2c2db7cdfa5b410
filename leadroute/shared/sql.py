"""Hand-written SQL on the hot paths: several statements, one round trip."""

from __future__ import annotations

from functools import cache

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


@cache
def columns_of(model, alias: str) -> str:
    """Every concrete column of `model`, qualified by `alias`, in the order rows_as reads."""
    return ", ".join(
        f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields
    )


def row_as(model, row: tuple):
    """An instance of `model` from a row of `columns_of(model, …)`, each value through its
    field's own converter (JSON parsed), as the ORM loads one."""
    fields = model._meta.concrete_fields
    values = []
    for f, value in zip(fields, row, strict=True):
        for convert in f.get_db_converters(connection):
            value = convert(value, None, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def insert_sql(objs: list) -> tuple[str, list]:
    """One INSERT of unsaved instances of one model (every column but the key), each value
    prepared by its field as the ORM's insert prepares it; for a batch of run_batch."""
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    q = connection.ops.quote_name
    row = f"({placeholders(fields)})"
    return (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(objs))}",
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields],
    )
