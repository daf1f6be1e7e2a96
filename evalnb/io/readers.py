"""Strict, streaming readers for JSON Lines, CSV and Parquet (plain, gzip or zstd).

Files are read in chunks of about ``CHUNK_BYTES``. A chunk is parsed by pyarrow (JSON Lines and CSV
parsers, Parquet row groups) into columns that ``validate`` checks with compute kernels. A chunk
that pyarrow cannot represent exactly (a line that is not strict JSON, NaN/Infinity literals, mixed
types in a column, JSON objects inside cells, ragged CSV rows) is read again row by row by the
strict reader below, which names file, line and field for every problem, so the errors are the
same whichever path a chunk took. Nothing is coerced here beyond what the format itself says.
"""
from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from .._errors import DataError

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
            ".eval": "inspect"}
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
JSON_COLUMNS_META = b"evalnb.json_columns"
CHUNK_BYTES = 16 << 20
PARQUET_BATCH_ROWS = 65_536
EMPTY_FILE = "the file is empty: it holds no rows"
# Columns the JSON Lines parser must read as strings (so that a timestamp-looking answer stays text).
_STRING_COLUMNS = ("run_id", "model", "task", "category", "input", "output", "reference", "tests", "request_id",
                   "timestamp")
_IGNORED = ("source_file", "source_line", "_from_text")


from .records import RawTable, _no_duplicate_keys, _reject_constant, loads_strict  # noqa: E402,F401  (re-exported)


@dataclass
class Chunk:
    """Consecutive rows of one source, column by column.

    ``columns`` maps a name to a pyarrow array (values exactly as the file has them) or a Python
    list (records). ``lines`` holds each row's line (row number for Parquet and frames).
    """

    source: str
    columns: dict[str, Any]
    lines: np.ndarray
    text_source: bool = False
    problems: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)
    files: list[str] | None = None  # per row, when rows name other files than ``source``
    physical_lines: int = 0  # lines of the block the chunk came from (blank ones included)
    bad_rows: list[int] = field(default_factory=list)  # rows a reader already rejected (named in problems)

    def __len__(self) -> int:
        return len(self.lines)


def problem(file: str, line: int | None, fld: str | None, what: str, **extra: Any) -> dict[str, Any]:
    return {"file": file, "line": line, "field": fld, "problem": what, **extra}


def expand_sources(sources: Any) -> list[Any]:
    """Turn paths, globs, directories and frames into a flat list of paths and frames."""
    if isinstance(sources, (str, os.PathLike, pd.DataFrame)) or hasattr(sources, "df"):
        sources = [sources]
    out: list[Any] = []
    for src in sources:
        if isinstance(src, pd.DataFrame) or hasattr(src, "df"):
            out.append(src)
            continue
        text = os.fspath(src)
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if _plain_suffix(p) in SUFFIXES)
            if not found:
                raise DataError(f"{text}: directory holds no .jsonl, .csv or .parquet files")
            out.extend(found)
        elif any(ch in text for ch in "*?["):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True))
            if not found:
                raise DataError(f"{text}: the pattern matches no file")
            out.extend(found)
        else:
            if not path.exists():
                raise DataError(f"{text}: no such file")
            out.append(path)
    return out


def compression_of(path: Path) -> str | None:
    """``"gzip"``, ``"zstd"`` or None, from the file name."""
    return COMPRESSIONS.get(os.path.splitext(path.name.lower())[1])


def _plain_suffix(path: Path) -> str:
    name = path.name.lower()
    if compression_of(path):
        name = os.path.splitext(name)[0]
    return os.path.splitext(name)[1]


def detect_format(path: Path, fmt: str | None = None) -> str:
    """``fmt`` if given, else the importer a foreign log needs (see ``io/importers``), else the suffix.

    A ``.gz``/``.zst`` suffix names the compression; the suffix before it names the format.
    """
    from .importers import canonical_name, sniff

    if fmt:
        return canonical_name(fmt) or fmt
    ext = _plain_suffix(path)
    if ext not in SUFFIXES:
        raise DataError(f"{path}: unknown file type '{ext}'; use .jsonl, .csv or .parquet (optionally .gz or .zst), "
                        "or pass format=")
    if compression_of(path):
        if SUFFIXES[ext] in ("parquet", "inspect"):
            raise DataError(f"{path}: a compressed {SUFFIXES[ext]} file is not supported (the format compresses "
                            "its own data); decompress it first")
        return SUFFIXES[ext]
    return sniff(path) or SUFFIXES[ext]


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed on the fly for ``.gz`` and ``.zst``."""
    kind = compression_of(path)
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "zstd":
        import zstandard

        raw = open(path, "rb")
        return _ZstdFile(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True), raw)
    return open(path, "rb")


class _ZstdFile(io.RawIOBase):
    """A readable stream over zstandard's reader that also closes the underlying file."""

    def __init__(self, reader: Any, raw: IO[bytes]):
        self._reader, self._raw = reader, raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._reader.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._reader.close()
        self._raw.close()
        super().close()


def _decode_error(path: Path, exc: Exception) -> DataError:
    return DataError(f"{path}: cannot decompress ({compression_of(path)}): {exc}")


def iter_blocks(path: Path, size: int | None = None, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Blocks of whole lines (each ends with a newline, except maybe the last); a BOM is dropped."""
    size = size or CHUNK_BYTES
    compressed = compression_of(path) is not None
    try:
        with open_binary(path) as fh:
            raw_fh = getattr(fh, "fileobj", None) or getattr(fh, "_raw", None) if compressed else fh
            rest = b""
            first = True
            seen = 0
            while True:
                data = fh.read(size)
                if progress is not None:
                    pos = raw_fh.tell() if raw_fh is not None else seen + len(data)
                    progress(pos - seen)
                    seen = pos
                if first:
                    first = False
                    if data.startswith(b"\xef\xbb\xbf"):
                        data = data[3:]
                if not data:
                    if rest:
                        yield rest
                    return
                data = rest + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                rest = data[cut + 1:]
                yield data[: cut + 1]
    except Exception as exc:  # OSError, EOFError, zlib.error, zstandard.ZstdError
        if compressed and not isinstance(exc, DataError):
            raise _decode_error(path, exc) from None
        raise



def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return False


def _check_surrogates(table: RawTable, record: dict[str, Any], line: int) -> bool:
    bad = [k for k, v in record.items() if _has_lone_surrogate(v)]
    for key in bad:
        table.problems.append(problem(table.source, line, key, "lone surrogate in text (invalid Unicode)"))
    return not bad


# -- JSON Lines ---------------------------------------------------------------------------------
def jsonl_records(data: bytes, source: str, first_line: int = 1, base_offset: int = 0) -> RawTable:
    """The strict row-wise reader for a block of JSON Lines (lines numbered from ``first_line``)."""
    table = RawTable(source)
    offset = base_offset
    for lineno, raw in enumerate(data.split(b"\n"), start=first_line):
        start = offset
        offset += len(raw) + 1
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            table.problems.append(problem(source, lineno, None, f"invalid UTF-8 at byte {start + exc.start}", byte_offset=start + exc.start))
            continue
        try:
            record = loads_strict(text)
        except ValueError as exc:
            table.problems.append(problem(source, lineno, None, f"invalid JSON: {exc}", byte_offset=start))
            continue
        if not isinstance(record, dict):
            table.problems.append(problem(source, lineno, None, f"expected a JSON object, got {type(record).__name__}", byte_offset=start))
            continue
        if _check_surrogates(table, record, lineno):
            record["source_file"], record["source_line"] = source, lineno
            table.records.append(record)
    return table


_WS = np.array([32, 9, 13, 10, 11, 12], dtype=np.uint8)


def _line_table(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, end, non-blank) per physical line of a block, with numpy (no loop over lines)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(buf)]))
    if len(data) and data.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    lengths = ends - starts
    nonblank = lengths > 0
    first = buf[np.minimum(starts, max(len(buf) - 1, 0))] if len(buf) else np.zeros(0, np.uint8)
    maybe = np.flatnonzero(nonblank & np.isin(first, _WS))
    for i in maybe:  # a line that starts with whitespace: decide exactly (rare)
        nonblank[i] = bool(data[starts[i]:ends[i]].strip())
    return starts, ends, nonblank


def _has_struct(t: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_struct(t) or pa.types.is_map(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_struct(t.value_type)
    return False


def _exact_arrow(table: Any, id_columns: tuple[str, ...]) -> tuple[bool, list[str]]:
    """Whether pyarrow's reading of a JSON block is what the strict reader would return, and which
    columns hold JSON objects (Arrow cannot tell a missing key from a null one: those are re-read)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    objects = []
    for name, col in zip(table.column_names, table.columns):
        t = col.type
        if _has_struct(t):
            objects.append(name)
            continue
        values = pc.list_flatten(col) if pa.types.is_list(t) else col
        if pa.types.is_floating(values.type):
            if pc.any(pc.invert(pc.is_finite(values))).as_py():  # NaN/Infinity literals
                return False, []
            if name in id_columns:
                return False, []
        if pa.types.is_list(values.type) or pa.types.is_timestamp(values.type):
            return False, []
    return True, objects


def _object_values(data: bytes, starts: np.ndarray, ends: np.ndarray, names: list[str]) -> dict[str, list] | None:
    """The JSON objects of some columns, read line by line with the standard library."""
    out: dict[str, list] = {n: [] for n in names}
    try:
        for s, e in zip(starts.tolist(), ends.tolist()):
            record = json.loads(data[s:e], parse_constant=_reject_constant)
            for n in names:
                out[n].append(record.get(n))
    except ValueError:
        return None
    return out


def jsonl_chunk(data: bytes, source: str, first_line: int, base_offset: int, kind: str = "runs") -> Chunk:
    """One block of JSON Lines as columns: pyarrow when that is exact, else the strict reader."""
    import pyarrow as pa
    import pyarrow.json as pj

    starts, ends, nonblank = _line_table(data)
    lines = first_line + np.flatnonzero(nonblank)
    arrow = None
    if lines.size:
        try:
            data.decode("utf-8")
            names = _STRING_COLUMNS if kind == "runs" else ("model", "run_id", "timestamp")
            head = data[:65536]  # later columns are read as inferred; timestamp-like text is re-read below
            schema = pa.schema([(n, pa.string()) for n in names if f'"{n}"'.encode() in head])
            longest = int((ends - starts).max())
            options = pj.ReadOptions(block_size=max(4 << 20, 2 * longest + 16))
            arrow = pj.read_json(io.BytesIO(data), read_options=options,
                                 parse_options=pj.ParseOptions(explicit_schema=schema))
            stamped = [n for n, t in zip(arrow.column_names, arrow.schema.types)
                       if pa.types.is_timestamp(t) and n not in schema.names]
            if stamped:  # pyarrow took a text column for timestamps: read it as text
                schema = pa.schema(list(schema) + [(n, pa.string()) for n in stamped])
                arrow = pj.read_json(io.BytesIO(data), read_options=options,
                                     parse_options=pj.ParseOptions(explicit_schema=schema))
            ids = ("item_id", "label", "prediction") if kind == "runs" else ("item_id", "request_id")
            exact, objects = _exact_arrow(arrow, ids) if arrow.num_rows == lines.size else (False, [])
            if exact and objects:
                keep = np.flatnonzero(nonblank)
                decoded = _object_values(data, starts[keep], ends[keep], objects)
                exact = decoded is not None
            if not exact:
                arrow = None
        except (UnicodeDecodeError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
            arrow = None
    if arrow is not None:
        columns = {n: (decoded[n] if n in objects else arrow.column(n))
                   for n in arrow.column_names if n not in _IGNORED}
        chunk = Chunk(source, columns, lines.astype(np.int64))
    else:
        chunk = records_chunk(jsonl_records(data, source, first_line, base_offset))
    chunk.physical_lines = len(starts)
    return chunk


# -- CSV ----------------------------------------------------------------------------------------
def _csv_records_stream(path: Path, source: str) -> Iterator[RawTable]:
    """The strict row-wise CSV reader, streamed in tables of at most PARQUET_BATCH_ROWS records."""
    table = RawTable(source)
    try:
        with open_binary(path) as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            try:
                header = next(reader)
            except StopIteration:
                yield table
                return
            if len(set(header)) != len(header):
                dupes = sorted({h for h in header if header.count(h) > 1})
                table.problems.append(problem(source, 1, ",".join(dupes), "duplicate column names in the header"))
                yield table
                return
            for row in reader:
                lineno = reader.line_num
                if not row or all(not cell.strip() for cell in row) and len(row) <= 1:
                    continue
                if len(row) != len(header):
                    table.problems.append(problem(source, lineno, None, f"expected {len(header)} fields, found {len(row)}"))
                    continue
                record: dict[str, Any] = dict(zip(header, row))
                record["_from_text"] = True
                if _check_surrogates(table, record, lineno):
                    record["source_file"], record["source_line"] = source, lineno
                    table.records.append(record)
                if len(table.records) >= PARQUET_BATCH_ROWS:
                    yield table
                    table = RawTable(source)
    except UnicodeDecodeError as exc:
        table.problems.append(problem(source, None, None, f"invalid UTF-8 at byte {exc.start}", byte_offset=exc.start))
    yield table


def csv_chunks(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[Chunk]:
    """CSV where every cell stays a string ("None", "NA", "null" and "" are answers, not missing).

    Blocks are parsed by pyarrow when every record sits on one line and every row has the header's
    width; otherwise the whole file is read by the strict row-wise reader (multi-line cells, ragged
    rows), so line numbers and messages are those of Python's csv module.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    source = str(path)
    chunks: list[Chunk] = []
    header: list[str] | None = None
    header_bytes = b""
    line_no = 1
    fast = True
    for block in iter_blocks(path, progress=progress):
        if header is None:
            cut = block.find(b"\n")
            header_bytes, block = (block, b"") if cut < 0 else (block[: cut + 1], block[cut + 1:])
            try:
                header = next(csv.reader(io.StringIO(header_bytes.decode("utf-8"), newline="")), [])
            except UnicodeDecodeError:
                fast = False
                break
            if header_bytes.count(b'"') % 2 or len(set(header)) != len(header) or not header:
                fast = False
                break
        if not block:
            continue
        starts, ends, nonblank = _line_table(block)
        buf = np.frombuffer(block, dtype=np.uint8)
        quotes = np.flatnonzero(buf == 34)
        if ((np.searchsorted(quotes, ends) - np.searchsorted(quotes, starts)) % 2).any():  # a quoted cell spans lines
            fast = False
            break
        lines = line_no + 1 + np.flatnonzero(nonblank)
        line_no += len(starts)
        invalid: list[Any] = []

        def handler(row: Any) -> str:
            invalid.append(row)
            return "skip"

        try:
            block.decode("utf-8")
            arrow = pcsv.read_csv(
                io.BytesIO(header_bytes + block),
                read_options=pcsv.ReadOptions(block_size=max(4 << 20, 2 * int((ends - starts).max(initial=0)) + 16)),
                parse_options=pcsv.ParseOptions(newlines_in_values=False, invalid_row_handler=handler),
                convert_options=pcsv.ConvertOptions(column_types={h: pa.string() for h in header}, null_values=[],
                                                    strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (UnicodeDecodeError, pa.ArrowInvalid):
            fast = False
            break
        if invalid or arrow.num_rows != lines.size:
            fast = False
            break
        columns = {n: arrow.column(n) for n in arrow.column_names if n not in _IGNORED}
        # held back until the whole file is known to parse exactly
        chunks.append(Chunk(source, columns, lines.astype(np.int64), text_source=True))
    if fast:
        yield from chunks
        return
    chunks.clear()
    for table in _csv_records_stream(path, source):
        yield records_chunk(table)


# -- Parquet ------------------------------------------------------------------------------------
def parquet_chunks(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    source = str(path)
    try:
        pfile = pq.ParquetFile(path)
        meta = pfile.schema_arrow.metadata or {}
    except Exception as exc:  # pyarrow raises several types for corrupt files
        yield Chunk(source, {}, np.zeros(0, np.int64), problems=[problem(source, None, None, f"cannot read Parquet: {exc}")])
        return
    json_columns: list[str] = []
    if JSON_COLUMNS_META in meta:
        try:
            json_columns = list(json.loads(meta[JSON_COLUMNS_META]))
        except ValueError as exc:
            raise DataError(f"{source}: the Parquet metadata 'evalnb.json_columns' is not valid JSON: {exc}") from None
    row = 0
    total = max(pfile.metadata.num_rows, 1)
    size = os.path.getsize(path)
    try:
        for group in range(pfile.num_row_groups):
            batch = pfile.read_row_group(group, use_threads=True)
            n = batch.num_rows
            lines = np.arange(row + 1, row + n + 1, dtype=np.int64)
            columns: dict[str, Any] = {}
            problems: list[dict[str, Any]] = []
            bad_rows: list[int] = []
            for name in batch.schema.names:
                if name in _IGNORED:
                    continue
                col = batch.column(name)
                if name in json_columns and (col.type == "string" or col.type == "large_string"):
                    col = _decode_json_column(col.to_pylist(), source, name, lines, problems, bad_rows)
                columns[name] = col
            yield Chunk(source, columns, lines, problems=problems, bad_rows=bad_rows)
            row += n
            if progress is not None:
                progress(int(size * n / total))
    except Exception as exc:
        if isinstance(exc, DataError):
            raise
        yield Chunk(source, {}, np.zeros(0, np.int64), problems=[problem(source, None, None, f"cannot read Parquet: {exc}")])


def _decode_json_column(values: list, source: str, name: str, lines: np.ndarray, problems: list,
                        bad_rows: list[int]) -> list:
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            try:
                value = loads_strict(value)
            except ValueError as exc:
                problems.append(problem(source, int(lines[i]), name,
                                        f"the file's metadata lists '{name}' as a JSON column (evalnb.json_columns), "
                                        f"but this cell is not valid JSON: {exc}"))
                bad_rows.append(i)
                value = None
        out.append(value)
    return out


# -- records (importers, frames, JSON files, blocks the fast path cannot read) --------------------
def records_chunk(table: RawTable) -> Chunk:
    """Pivot records into columns (absent keys become None)."""
    records = table.records
    names: dict[str, None] = {}
    for record in records:
        for key in record:
            names.setdefault(key, None)
    text_source = any(r.get("_from_text") for r in records)
    columns = {n: [r.get(n) for r in records] for n in names if n not in _IGNORED}
    lines = np.array([r.get("source_line") for r in records], dtype=object)
    try:
        lines = lines.astype(np.int64)
    except (TypeError, ValueError):
        pass
    files = [r.get("source_file", table.source) for r in records]
    return Chunk(table.source, columns, lines, text_source=text_source, problems=list(table.problems),
                 notes=list(getattr(table, "notes", [])),
                 files=files if any(f != table.source for f in files) else None)


def read_jsonl(path: Path) -> RawTable:
    """All records of a JSON Lines file (row-wise; the loader itself streams blocks)."""
    table = RawTable(str(path))
    line, offset = 1, 0
    for block in iter_blocks(path):
        part = jsonl_records(block, table.source, line, offset)
        table.records.extend(part.records)
        table.problems.extend(part.problems)
        line += block.count(b"\n")
        offset += len(block)
    return table


def read_json(path: Path) -> RawTable:
    """A JSON file holding a list of objects (or {"rows": [...]})."""
    table = RawTable(str(path))
    try:
        with open_binary(path) as fh:
            data = loads_strict(fh.read().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        table.problems.append(problem(table.source, None, None, f"invalid JSON: {exc}"))
        return table
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        table.problems.append(problem(table.source, None, None, "expected a list of objects (or an object with 'rows')"))
        return table
    for index, record in enumerate(rows, start=1):
        if not isinstance(record, dict):
            table.problems.append(problem(table.source, index, None, f"row {index} is not an object"))
        elif _check_surrogates(table, record, index):
            record["source_file"], record["source_line"] = table.source, index
            table.records.append(record)
    return table


def read_csv(path: Path) -> RawTable:
    """CSV where every cell stays a string: "None", "NA", "null" and "" are answers, not missing."""
    table = RawTable(str(path))
    for part in _csv_records_stream(path, table.source):
        table.records.extend(part.records)
        table.problems.extend(part.problems)
    return table


def read_parquet(path: Path) -> RawTable:
    """All records of a Parquet file (row-wise view of :func:`parquet_chunks`)."""
    table = RawTable(str(path))
    for chunk in parquet_chunks(path):
        table.problems.extend(chunk.problems)
        bad = set(chunk.bad_rows)
        values = {n: (c.to_pylist() if hasattr(c, "to_pylist") else c) for n, c in chunk.columns.items()}
        for i, line in enumerate(chunk.lines):
            if i in bad:
                continue
            record = {}
            for key, vals in values.items():
                value = vals[i]
                if isinstance(value, float) and math.isnan(value):
                    value = None
                elif hasattr(value, "isoformat") and key == "timestamp":
                    value = value.isoformat()
                record[key] = value
            record["source_file"], record["source_line"] = table.source, int(line)
            table.records.append(record)
    return table


READERS = {"jsonl": read_jsonl, "json": read_json, "csv": read_csv, "parquet": read_parquet}


def read_frame(frame: pd.DataFrame, name: str) -> RawTable:
    table = RawTable(name)
    for index, record in enumerate(frame.to_dict(orient="records"), start=1):
        clean = {str(key): _clean_value(value) for key, value in record.items()}
        if _check_surrogates(table, clean, index):
            clean.setdefault("source_file", name)
            clean.setdefault("source_line", index)
            table.records.append(clean)
    return table


FRAME_CHUNK_ROWS = 200_000   # rows of a DataFrame validated at a time


def _clean_value(value: Any) -> Any:
    """A frame cell as a record value (the row-wise reader's rule): NaN, NA and NaT are missing,
    numpy values become Python ones."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()
    return value


def _frame_column(series: pd.Series) -> Any:
    """One frame column for the validator: an arrow array when arrow holds it exactly (the kernels'
    path), else the cleaned Python values (mixed types, lone surrogates: the scalar path and its
    messages)."""
    import pyarrow as pa

    if series.dtype == object or isinstance(series.dtype, pd.CategoricalDtype) and series.cat.categories.dtype == object:
        kinds = {type(v) for v in series.head(1_000).tolist()} - {type(None), float}
        if len(kinds) != 1 or kinds == {dict}:   # mixed, or records: leave them to the scalar converter
            return [_clean_value(v) for v in series.tolist()]
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowException, UnicodeError, TypeError, ValueError, OverflowError):
        return [_clean_value(v) for v in series.tolist()]
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def frame_chunks(frame: pd.DataFrame, name: str, rows: int = FRAME_CHUNK_ROWS) -> Iterator[Chunk]:
    """A DataFrame as column chunks: the same values and problems as :func:`read_frame` (the
    row-wise reader), at columnar speed. Rows are numbered from 1, or by the frame's own
    ``source_line`` / ``source_file`` columns (a frame that a loader made)."""
    for start in range(0, max(len(frame), 1), rows):
        part = frame.iloc[start:start + rows]
        n = len(part)
        columns: dict[str, Any] = {}
        for key in part.columns:
            if str(key) in _IGNORED:
                continue
            columns[str(key)] = _frame_column(part[key])
        lines = np.arange(start + 1, start + n + 1, dtype=np.int64)
        if "source_line" in part:
            given = pd.to_numeric(part["source_line"], errors="coerce")
            lines = np.where(given.notna(), given.fillna(0), lines).astype(np.int64)
        files = None
        if "source_file" in part:
            named = part["source_file"].astype(object).where(part["source_file"].notna(), name).tolist()
            files = named if any(f != name for f in named) else None
        problems: list[dict[str, Any]] = []
        bad_rows: list[int] = []
        for key, col in columns.items():
            if isinstance(col, list):   # arrow refused it: it may hold lone surrogates
                for i, value in enumerate(col):
                    if _has_lone_surrogate(value):
                        problems.append(problem(name, start + i + 1, key, "lone surrogate in text (invalid Unicode)"))
                        bad_rows.append(i)
                        col[i] = None   # the row is rejected; nothing downstream may try to encode it
        yield Chunk(name, columns, lines, problems=problems, bad_rows=sorted(set(bad_rows)), files=files)


def _frames_and_paths(sources: Any) -> Iterator[tuple[int, Any]]:
    for number, src in enumerate(expand_sources(sources)):
        if hasattr(src, "df") and not isinstance(src, pd.DataFrame):
            src = src.df
        yield number, src


def read_sources(sources: Any, fmt: str | None = None, allow_incomplete: bool = False) -> Iterator[RawTable]:
    """Every source as records (one RawTable per file or frame), for callers that want records."""
    from . import importers

    for number, src in _frames_and_paths(sources):
        if isinstance(src, pd.DataFrame):
            yield read_frame(src, f"<frame {number}>")
            continue
        name = detect_format(src, fmt)
        if name in importers.FORMATS:
            yield importers.read(name, src, allow_incomplete=allow_incomplete)
        elif name in READERS:
            yield READERS[name](src)
        else:
            raise DataError(f"{src}: unknown format '{name}'; use jsonl, csv, json, parquet or one of "
                            f"{', '.join(importers.FORMATS)}")


def iter_chunks(sources: Any, fmt: str | None = None, allow_incomplete: bool = False, kind: str = "runs",
                progress: bool = True, columns: dict[str, str] | None = None) -> Iterator[Chunk]:
    """Every source as a stream of column chunks (see :class:`Chunk`), with a progress bar.

    ``columns`` renames columns before validation: ``{new name: column in the file}``. A file that
    yields no row and no problem at all gets the problem "the file is empty".
    """
    from . import importers

    items = list(_frames_and_paths(sources))
    total = sum(os.path.getsize(src) for _, src in items if not isinstance(src, pd.DataFrame))
    bar = _progress_bar(total, progress)
    try:
        for number, src in items:
            if isinstance(src, pd.DataFrame):
                chunks: Iterable[Chunk] = frame_chunks(src, f"<frame {number}>")
            else:
                name = detect_format(src, fmt)
                if name in importers.FORMATS:
                    chunks = [records_chunk(importers.read(name, src, allow_incomplete=allow_incomplete))]
                    bar.update(os.path.getsize(src))
                elif name == "jsonl":
                    chunks = _jsonl_chunks(src, kind, bar.update)
                elif name == "csv":
                    chunks = csv_chunks(src, bar.update)
                elif name == "parquet":
                    chunks = parquet_chunks(src, bar.update)
                elif name == "json":
                    chunks = [records_chunk(read_json(src))]
                    bar.update(os.path.getsize(src))
                else:
                    raise DataError(f"{src}: unknown format '{name}'; use jsonl, csv, json, parquet or one of "
                                    f"{', '.join(importers.FORMATS)}")
            seen = False
            for chunk in chunks:
                seen = (seen or len(chunk) > 0 or bool(chunk.problems)  # a tool's summary file has no rows by design
                        or any(getattr(n, "summary_only", False) for n in chunk.notes))
                if columns:
                    _rename(chunk, columns)
                yield chunk
            if not seen and not isinstance(src, pd.DataFrame):
                yield Chunk(str(src), {}, np.zeros(0, np.int64), problems=[problem(str(src), None, None, EMPTY_FILE)])
    finally:
        bar.close()


def _rename(chunk: Chunk, columns: dict[str, str]) -> None:
    targets = {source: target for target, source in columns.items()}
    renamed: dict[str, Any] = {}
    for name, col in chunk.columns.items():
        if name in columns and name not in targets:
            continue  # a column the mapping replaces ({"reference": "gold"} drops the file's own reference)
        renamed[targets.get(name, name)] = col
    chunk.columns = renamed


def _jsonl_chunks(path: Path, kind: str, update: Callable[[int], None]) -> Iterator[Chunk]:
    line, offset = 1, 0
    for block in iter_blocks(path, progress=update):
        chunk = jsonl_chunk(block, str(path), line, offset, kind)
        yield chunk
        line += chunk.physical_lines
        offset += len(block)


def _progress_bar(total: int, enabled: bool) -> Any:
    """A byte-counting tqdm bar that appears only when reading takes more than two seconds."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc="loading", delay=2.0, disable=not enabled, leave=False)


def iter_records(tables: Iterable[RawTable]) -> Iterator[dict[str, Any]]:
    for table in tables:
        yield from table.records
