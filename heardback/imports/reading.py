"""Reading an uploaded CSV file, row by row, without ever holding it all in memory.

- Encoding: UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252
  (bytes Windows-1252 leaves undefined read as the C1 characters, as browsers do).
- Delimiter: whichever of `,` `;` and tab makes the header into known column names.
- Lines end in LF or CRLF (or, in old Mac files, CR alone). A carriage return anywhere else
  outside quotes is a "bare CR" and makes its row bad instead of silently splitting it.
- Every cell is text, never evaluated: a cell starting with `=` stays that text.

`read_rows` yields `(line, cells)` or `(line, error)` for each record, where `line` is the
physical line the record starts on (the header is line 1).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BLOCK = 1 << 16
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}
MAX_CELL = csv.field_size_limit()


def _c1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    """Windows-1252 leaves five bytes undefined; read them as their C1 code points."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return chr(error.object[error.start]), error.start + 1


codecs.register_error("heardback.c1", _c1_for_undefined)

# Bytes that don't decode become this lone surrogate, which no successful decoding ever
# yields: the row that holds them is bad, and the rows around it are still read.
UNDECODABLE = "\udfff"


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return UNDECODABLE, error.end


codecs.register_error("heardback.mark", _mark_undecodable)


class FileProblem(Exception):
    """The file as a whole can't be read (not one row of it)."""


@dataclass(frozen=True)
class RowError:
    reason: str


def detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def open_text(path: Path, encoding: str) -> IO[str]:
    errors = "heardback.c1" if encoding == "cp1252" else "heardback.mark"
    return path.open("r", encoding=encoding, errors=errors, newline="")


def _line_separator(text: IO[str]) -> str:
    """LF (which also covers CRLF), or CR for a file that uses CR alone."""
    head = text.read(BLOCK)
    text.seek(0)
    if "\n" not in head and "\r" in head:
        return "\r"
    return "\n"


def physical_lines(text: IO[str], separator: str) -> Iterator[str]:
    """Lines ending in `separator` (kept), however long, without quadratic copying."""
    pieces: list[str] = []
    while block := text.read(BLOCK):
        start = 0
        while (end := block.find(separator, start)) != -1:
            pieces.append(block[start : end + 1])
            yield "".join(pieces)
            pieces.clear()
            start = end + 1
        if start < len(block):
            pieces.append(block[start:])
    if pieces:
        yield "".join(pieces)


def normalise_header(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.replace("\ufeff", "").strip().lower())


def choose_delimiter(header_line: str, known: frozenset[str]) -> str:
    """The delimiter that splits the header into the most known column names."""

    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            return (-1, 0)
        return (sum(normalise_header(c) in known for c in cells), len(cells))

    return max(DELIMITERS, key=score)


def describe_csv_error(error: csv.Error) -> str:
    text = str(error)
    if "new-line character seen in unquoted field" in text:
        return (
            "A carriage return (CR) inside a cell that is not in quotes. Put the cell in "
            "double quotes, or remove the line break."
        )
    if "field larger than field limit" in text:
        return f"A cell is longer than {MAX_CELL:,} characters."
    if "NUL" in text:
        return "The line contains a NUL byte."
    return f"This line can't be read as CSV ({text})."


@dataclass
class CsvFile:
    """An open CSV file: its encoding and delimiter, the header, then its records."""

    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    records: Iterator[tuple[int, list[str] | RowError]]


def open_csv(path: Path, known_columns: frozenset[str]) -> tuple[CsvFile, IO[str]]:
    """Open `path` for reading; the caller closes the returned handle."""
    encoding = detect_encoding(path)
    text = open_text(path, encoding)
    lines = physical_lines(text, _line_separator(text))
    # The header: the first line that is not blank.
    header_line = 0
    first = ""
    for first in lines:
        header_line += 1
        if first.strip():
            break
    if not first.strip():
        text.close()
        raise FileProblem("The file is empty: it needs a header line and at least one row.")
    if UNDECODABLE in first:
        text.close()
        raise FileProblem(
            f"The header line is not valid {ENCODING_NAMES[encoding]}. Save the file as "
            "“CSV UTF-8” and upload it again."
        )
    if "\x00" in first:
        text.close()
        raise FileProblem(
            "The header line contains NUL bytes: the file may be UTF-16 without a byte-order "
            "mark. Save it as “CSV UTF-8” and upload it again."
        )
    delimiter = choose_delimiter(first, known_columns)
    try:
        header = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as error:
        text.close()
        raise FileProblem(f"The header line can't be read: {describe_csv_error(error)}") from error
    return (
        CsvFile(
            encoding=encoding,
            delimiter=delimiter,
            header=header,
            header_line=header_line,
            records=_records(lines, delimiter, after=header_line, encoding=encoding),
        ),
        text,
    )


def _records(
    lines: Iterator[str], delimiter: str, *, after: int, encoding: str
) -> Iterator[tuple[int, list[str] | RowError]]:
    # UTF-8 was checked whole before it was chosen, and Windows-1252 decodes every byte.
    checked_decoding = encoding not in ("utf-8", "cp1252")
    counted = _Counted(lines, start=after)
    reader = csv.reader(counted, delimiter=delimiter, strict=False)
    while True:
        start = counted.number + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, RowError(describe_csv_error(error))
            continue
        if checked_decoding and any(UNDECODABLE in cell for cell in cells):
            yield (
                start,
                RowError(
                    f"This line has bytes that are not valid {ENCODING_NAMES[encoding]}. Save the "
                    "file as “CSV UTF-8” and upload it again."
                ),
            )
            continue
        yield start, cells


class _Counted:
    """An iterator over lines that knows how many it has handed out."""

    def __init__(self, lines: Iterator[str], *, start: int) -> None:
        self.lines = lines
        self.number = start

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.number += 1
        return line
