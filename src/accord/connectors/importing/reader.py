"""Stream the rows of a CSV or JSON Lines file in bounded memory, detecting its encoding and CSV dialect.

Rows come out as lists of strings in header order, each with its data-row number and the line it starts
on. A row that cannot be read (bytes that are not valid in the file's encoding, a wrong number of fields,
a JSON line that is not an object) comes out with its problem instead of failing the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from accord.errors import Invalid

SAMPLE_BYTES = 64 * 1024
SNIFF_CHARS = 8 * 1024
# A field may be long (the text limit is checked later, with a clear reason); the csv module's default is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
DELIMITERS = ",;\t|"
# What surrogateescape turns undecodable bytes into; a row holding one had invalid bytes.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# A UTF-8 character of two to four bytes: evidence that a file with a few bad bytes is UTF-8 after all.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass(frozen=True)
class FileFormat:
    """How a file is read: csv or jsonl, its encoding, and for CSV the delimiter and quote character."""

    kind: str
    encoding: str
    delimiter: str = ","
    quotechar: str = '"'

    def describe(self) -> str:
        """E.g. 'CSV, utf-8, delimiter ';''."""
        if self.kind == "jsonl":
            return f"JSON Lines, {self.encoding}"
        shown = {"\t": "tab"}.get(self.delimiter, repr(self.delimiter))
        return f"CSV, {self.encoding}, delimiter {shown}"


@dataclass(slots=True)
class Row:
    """One data row: its number (1 = first after the header), the line it starts on, its values or its problem."""

    number: int
    line: int
    values: list[str]
    problem: tuple[str, str] | None = None  # (field, reason)


def detect_encoding(sample: bytes) -> str:
    """The encoding a sample is written in: a BOM decides; else UTF-8 if it reads as UTF-8, else cp1252 or latin-1.

    A sample with invalid bytes that also holds real multi-byte UTF-8 characters is UTF-8 with damaged rows,
    which are rejected one by one (legacy code pages almost never form valid UTF-8 sequences by chance);
    one with invalid bytes and no UTF-8 characters is a legacy code page.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(sample):
        return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def detect_format(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
                  quotechar: str | None = None, kind: str | None = None) -> FileFormat:
    """The file's format: what the mapping says, the rest detected from a sample of its start."""
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    chosen_encoding = encoding or detect_encoding(sample)
    try:
        codecs.lookup(chosen_encoding)
    except LookupError:
        raise Invalid("mapping", f"encoding '{chosen_encoding}' is not one Python knows") from None
    file_kind = kind or ("jsonl" if path.suffix.lower() in JSONL_SUFFIXES else "csv")
    if file_kind == "jsonl":
        return FileFormat("jsonl", chosen_encoding)
    # The sniffer's regular expressions take seconds on a big sample; a few dozen whole lines decide as well.
    text = sample.decode(chosen_encoding, errors="replace")[:SNIFF_CHARS]
    if "\n" in text:
        text = text[: text.rindex("\n")]  # a cut-off last line would mislead the sniffer
    if delimiter is None or quotechar is None:
        sniffed_delimiter, sniffed_quote = _sniff(text)
        delimiter = delimiter or sniffed_delimiter
        quotechar = quotechar or sniffed_quote
    return FileFormat("csv", chosen_encoding, delimiter, quotechar)


def _sniff(text: str) -> tuple[str, str]:
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(text, delimiters=DELIMITERS)
        delimiter, quote = dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        delimiter, quote = ",", '"'
    if delimiter not in header:
        # The sniffer can pick a character that only occurs inside quoted text; the header decides.
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        delimiter = best if counts[best] else ","
    return delimiter, quote


class RowStream:
    """An open file's header and its rows; use as a context manager and iterate once."""

    def __init__(self, path: Path, file_format: FileFormat) -> None:
        self.path = path
        self.format = file_format
        self._binary: IO[bytes] = path.open("rb")
        self._text = io.TextIOWrapper(
            self._binary, encoding=file_format.encoding, newline="",
            errors="surrogateescape" if _byte_oriented(file_format.encoding) else "strict",
        )
        self._bad_line = 0  # the last physical line that held undecodable bytes
        self._line = 0
        if file_format.kind == "csv":
            self._csv = csv.reader(self._lines(), delimiter=file_format.delimiter, quotechar=file_format.quotechar,
                                   doublequote=True, strict=False)
            self.header = self._read_csv_header()
            self._jsonl_keys: list[str] = []
        else:
            self.header = self._read_jsonl_keys()

    def __enter__(self) -> "RowStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._text.close()

    def bytes_read(self) -> int:
        """How far into the file the reader has got, in bytes (for progress)."""
        return self._binary.tell() if not self._binary.closed else 0

    def _lines(self) -> Iterator[str]:
        line_no = 0
        try:
            for line in self._text:
                line_no += 1
                self._line = line_no
                if not line.isascii() and _ESCAPED_BYTE.search(line):
                    self._bad_line = line_no
                yield line
        except UnicodeDecodeError as exc:
            raise Invalid("file", f"{self.path.name} is not valid {self.format.encoding} after line {line_no}: "
                                  f"{exc.reason}") from None

    def _read_csv_header(self) -> list[str]:
        try:
            header = next(self._csv)
        except StopIteration:
            raise Invalid("file", f"{self.path.name} is empty: it has no header row") from None
        header = [name.strip().lstrip("\ufeff") for name in header]
        if self._bad_line:
            raise Invalid("file", f"the header of {self.path.name} is not valid {self.format.encoding}")
        if not any(header):
            raise Invalid("file", f"the first line of {self.path.name} is blank; it must name the columns")
        return header

    def _read_jsonl_keys(self) -> list[str]:
        """The keys of the objects in the first lines: the columns a mapping may name."""
        keys: dict[str, None] = {}
        with self.path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES).decode(self.format.encoding, errors="replace").lstrip("\ufeff")
        lines = sample.split("\n")
        if len(lines) > 1:
            lines.pop()  # possibly cut off
        for line in lines:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                keys.update(dict.fromkeys(flatten(item)))
        if not keys:
            raise Invalid("file", f"{self.path.name} has no JSON object on its first lines")
        return list(keys)

    def __iter__(self) -> Iterator[Row]:
        if self.format.kind == "csv":
            return self._csv_rows()
        return self._jsonl_rows()

    def _csv_rows(self) -> Iterator[Row]:
        width = len(self.header)
        reader = self._csv
        number = 0
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a stray quote that swallowed lines past the field limit
                number += 1
                yield Row(number, start, [], ("row", f"not readable as CSV: {exc}"))
                start = reader.line_num + 1
                continue
            end = reader.line_num
            if not values:  # a blank line
                start = end + 1
                continue
            number += 1
            if self._bad_line >= start:
                yield Row(number, start, values, ("row", invalid_bytes_reason(values, self.format.encoding)))
            elif len(values) != width:
                yield Row(number, start, values,
                          ("row", f"{len(values)} fields; the header has {width}"))
            else:
                yield Row(number, start, values)
            start = end + 1

    def _jsonl_rows(self) -> Iterator[Row]:
        columns = self.header
        number = 0
        for line in self._lines():
            stripped = line.strip().lstrip("\ufeff")
            if not stripped:
                continue
            number += 1
            line_no = self._line
            if self._bad_line == line_no:
                yield Row(number, line_no, [stripped], ("row", invalid_bytes_reason([stripped], self.format.encoding)))
                continue
            try:
                item = json.loads(stripped)
            except ValueError as exc:
                yield Row(number, line_no, [stripped], ("row", f"not valid JSON: {exc}"))
                continue
            if not isinstance(item, dict):
                yield Row(number, line_no, [stripped], ("row", "not a JSON object"))
                continue
            flat = flatten(item)
            yield Row(number, line_no, [_text(flat.get(key)) for key in columns])


def _byte_oriented(encoding: str) -> bool:
    """True for encodings whose bad bytes can be carried through and reported per row (not UTF-16/32)."""
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32"))


def invalid_bytes_reason(values: list[str], encoding: str) -> str:
    """Why a row with undecodable bytes is rejected, naming the first bad byte."""
    for value in values:
        match = _ESCAPED_BYTE.search(value)
        if match:
            byte = ord(match.group()) - 0xDC00
            label = "UTF-8" if codecs.lookup(encoding).name.startswith("utf-8") else encoding
            return f"invalid {label}: byte 0x{byte:02x} cannot be decoded"
    label = "UTF-8" if codecs.lookup(encoding).name.startswith("utf-8") else encoding
    return f"invalid {label}: a line break inside the row cannot be decoded"


def flatten(item: dict, prefix: str = "") -> dict[str, object]:
    """Nested objects become dotted keys: {"from": {"name": "x"}} → {"from.name": "x"}."""
    flat: dict[str, object] = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _text(value: object) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def raw_text(values: list[str]) -> str:
    """A row's values as one CSV line, for the rejects file; undecodable bytes are shown as \\xNN."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    text = out.getvalue()
    if _ESCAPED_BYTE.search(text):
        text = text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
    return text
