"""Reading CSV files as people really export them: UTF-8 with or without a BOM, or Latin-1
(old Excel), comma- or semicolon-separated, CRLF or LF, quoted fields with commas or line
breaks inside."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

MAX_COLUMNS = 200
# csv's default field limit (128 KiB) is fine; a longer cell is a broken file.
csv.field_size_limit(1 << 20)


class CsvProblem(ValueError):
    """The file as a whole cannot be read (not a single row's problem)."""


@dataclass(frozen=True)
class CsvInfo:
    encoding: str
    delimiter: str
    headers: list[str]
    total: int  # data rows


def decode(content: bytes) -> tuple[str, str]:
    """(text, encoding). UTF-8 first (a BOM is dropped); anything that is not valid UTF-8
    is read as Windows-1252/Latin-1, which never fails and is what Excel writes."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return content.decode(encoding), ("utf-8" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def sniff_delimiter(first_line: str) -> str:
    """Semicolon files come from locales where the comma is the decimal mark; whichever of
    the usual separators the header line uses most is the one."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _reader(text: str, delimiter: str):
    # newline="" semantics: csv handles \r\n and quoted line breaks itself.
    return csv.reader(
        io.StringIO(text, newline=""),
        delimiter=delimiter,
        quotechar='"',
        skipinitialspace=False,
        strict=False,
    )


def csv_inspect(content: bytes) -> CsvInfo:
    if not content.strip():
        raise CsvProblem("The file is empty.")
    if b"\x00" in content[:4096]:
        raise CsvProblem("This is not a text CSV file (it looks binary, e.g. an .xlsx).")
    text, encoding = decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = _reader(text, delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
        total = sum(1 for row in reader if any(cell.strip() for cell in row))
    except csv.Error as exc:
        raise CsvProblem(f"The file is not valid CSV: {exc}.") from None
    if not any(headers):
        raise CsvProblem("The first line must name the columns.")
    if len(headers) > MAX_COLUMNS:
        raise CsvProblem(f"At most {MAX_COLUMNS} columns.")
    # Unnamed or repeated columns get a unique name, so the mapping can address each.
    seen: dict[str, int] = {}
    unique = []
    for i, header in enumerate(headers, start=1):
        name = header or f"Column {i}"
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return CsvInfo(encoding=encoding, delimiter=delimiter, headers=unique, total=total)


def csv_rows(
    content: bytes, *, encoding: str, delimiter: str, headers: list[str], start_after: int = 0
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {header: cell}) for each non-blank data row, skipping the first
    `start_after` of them. Row numbers count blank rows too, as a spreadsheet does (the
    header is row 1), so a number in the error report finds the row in Excel. A row with too
    few cells gets blanks; extra cells are ignored."""
    text = content.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    reader = _reader(text, delimiter)
    next(reader, None)
    seen = 0
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        seen += 1
        if seen <= start_after:
            continue
        yield number, {h: (row[i] if i < len(row) else "") for i, h in enumerate(headers)}


def csv_sample(content: bytes, *, info: CsvInfo, rows: int = 3) -> dict[str, list[str]]:
    """A few example values per column, for the mapping page."""
    samples: dict[str, list[str]] = {h: [] for h in info.headers}
    for number, row in csv_rows(
        content, encoding=info.encoding, delimiter=info.delimiter, headers=info.headers
    ):
        if number > 500:  # a column that is always blank must not make us read it all
            break
        for header, value in row.items():
            if value.strip() and len(samples[header]) < rows:
                samples[header].append(value.strip()[:40])
        if all(len(v) >= rows for v in samples.values()):
            break
    return samples
