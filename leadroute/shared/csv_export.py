"""CSV downloads: every CSV the app writes goes through `csv_download`.

A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return, which
some read past) as a formula: a CSV header or value typed by a stranger, echoed in a
report, could make a manager's Excel fetch a URL or run a command (CSV injection, OWASP).
Such text cells get a leading apostrophe, which spreadsheets show as text and hide.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """`value` as a spreadsheet will read it as text. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, stream):
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(v) for v in row])


def csv_download(filename: str) -> tuple[HttpResponse, _SafeWriter]:
    """An attachment response and a writer whose every text cell is made safe. UTF-8
    with a BOM, so Excel reads accents right."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, _SafeWriter(response)


class _Echo:
    """A file whose write returns what it was given: csv.writer then yields each line."""

    def write(self, value: str) -> str:
        return value


def csv_stream(filename: str, rows: Iterable[Iterable[object]]) -> StreamingHttpResponse:
    """A streamed attachment of `rows` (header first), every text cell made safe as in
    `csv_download`: a long export is written as it is read, never held whole."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"
        for row in rows:
            yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
