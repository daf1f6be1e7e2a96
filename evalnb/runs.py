"""Runs and Kpis: validated eval-run and KPI-log tables, and how they join."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

import pandas as pd

from ._display import ResultDisplay, SummaryText, escape, frame_html
from ._errors import DataError
from .io.readers import iter_chunks
from .io.validate import format_problems, problems_frame, validate_chunks

Sources = Any  # a path, glob, directory, DataFrame, Runs, or a list of these


@dataclass(frozen=True)
class Runs(ResultDisplay):
    """Validated eval runs: one row per (run, item[, sample]).

    ``df`` holds the canonical columns (see the README's schema table), any extra columns, and
    ``source_file``/``source_line``. ``errors`` lists rejected rows when loaded with ``strict=False``.
    """

    df: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=lambda: problems_frame([]))

    @property
    def models(self) -> list[str]:
        return sorted(self.df["model"].dropna().unique().tolist()) if "model" in self.df else []

    @property
    def run_ids(self) -> list[str]:
        return sorted(self.df["run_id"].dropna().unique().tolist()) if "run_id" in self.df else []

    def __len__(self) -> int:
        return len(self.df)

    def filter(self, **equals: Any) -> "Runs":
        """Rows whose columns equal the given values (a list means "any of").

        >>> runs.filter(model="nova-medium", category=["billing", "returns"])  # doctest: +SKIP
        """
        mask = pd.Series(True, index=self.df.index)
        for col, value in equals.items():
            values = value if isinstance(value, (list, tuple, set)) else [value]
            mask &= self.df[col].isin(list(values))
        return Runs(self.df[mask].reset_index(drop=True), self.errors)

    def with_kpis(self, kpis: "Kpis", on: str | None = None, how: Literal["left", "inner"] = "left") -> pd.DataFrame:
        """Eval rows joined with KPI outcomes (see :func:`join_kpis`)."""
        return join_kpis(self, kpis, on=on, how=how)

    def fingerprint(self) -> str:
        """SHA-256 of the rows' content (order-independent, source columns ignored).

        Recorded as provenance in exports; equal inputs give equal fingerprints.
        """
        return frame_fingerprint(self.df)

    def summary(self) -> SummaryText:
        """Rows, items, tasks and categories per model, as text; the table is ``.tables[0]``.

        >>> s = Runs(pd.DataFrame({"model": ["a", "a", "b"], "item_id": ["1", "2", "1"]})).summary()
        >>> print(s)
        Runs: 3 rows, 2 models
        model  rows  items
            a     2      2
            b     1      1
        >>> s.tables[0].columns.tolist()
        ['model', 'rows', 'items']
        """
        df = self.df
        agg = {"rows": ("item_id", "size"), "items": ("item_id", "nunique")}
        for col, plural in (("task", "tasks"), ("category", "categories")):
            if col in df:
                agg[plural] = (col, "nunique")
        table = df.groupby("model").agg(**agg).reset_index()
        title = (f"Runs: {len(df):,} row{'s' if len(df) != 1 else ''}, {len(table):,} model{'s' if len(table) != 1 else ''}"
                 f"{'' if self.errors.empty else f'; {len(self.errors):,} rejected rows'}")
        return SummaryText(title + "\n" + table.to_string(index=False), title=title, tables=[table])

    def _repr_html_(self) -> str:
        head = f"<p><b>Runs</b>: {len(self.df):,} rows, models: {escape(', '.join(self.models))}" \
               f"{'' if self.errors.empty else f'; {len(self.errors):,} rejected rows'}</p>"
        return head + frame_html(self.summary().tables[0])


@dataclass(frozen=True)
class Kpis:
    """A validated production KPI log: keys, timestamp and numeric KPI columns."""

    df: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=lambda: problems_frame([]))

    @property
    def kpi_columns(self) -> list[str]:
        meta = {"request_id", "item_id", "timestamp", "model", "run_id", "source_file", "source_line"}
        return [c for c in self.df.columns if c not in meta]

    def __len__(self) -> int:
        return len(self.df)


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """Order-independent content hash of a frame (ignores source_file/source_line)."""
    import hashlib
    import json

    cols = sorted(c for c in frame.columns if c not in ("source_file", "source_line"))
    lines = sorted(
        json.dumps([_jsonable(v) for v in row], sort_keys=True, ensure_ascii=False, allow_nan=True)
        for row in frame[cols].itertuples(index=False, name=None)
    )
    digest = hashlib.sha256(json.dumps(cols).encode())
    for line in lines:
        digest.update(line.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is None:
        return None
    return value


def _load(sources: Sources, strict: bool, kind: str, what: str, fmt: str | None, allow_incomplete: bool = False,
          columns: Mapping[str, str] | None = None, progress: bool = True):
    chunks = iter_chunks(sources, fmt, allow_incomplete=allow_incomplete, kind=kind, progress=progress,
                         columns=_check_columns(columns))
    frame, problems, notes = validate_chunks(chunks, kind)
    if notes:  # what importers of other tools' logs read and dropped
        frame.attrs["import_notes"] = notes
    if problems and strict:
        raise DataError(
            f"{len(problems)} problem(s) while loading {what}:\n{format_problems(problems)}\n"
            "Fix the data, or pass strict=False to keep the good rows and get an error table.",
            problems=problems,
        )
    return frame, problems_frame(problems)


def _check_columns(columns: Mapping[str, str] | None) -> dict[str, str] | None:
    if columns is None:
        return None
    if not isinstance(columns, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise DataError("columns= maps a new column name to a column of the file, e.g. {'reference': 'gold_answer'}")
    return dict(columns)


def load_runs(sources: Sources, *, strict: bool = True, format: str | None = None,
              allow_incomplete: bool = False, columns: Mapping[str, str] | None = None,
              progress: bool = True) -> Runs:
    """Read eval runs from JSONL, CSV or Parquet files, globs, folders or DataFrames.

    Files are streamed in chunks and validated column by column; ``.gz`` and ``.zst`` files are
    decompressed on the fly.

    Parameters
    ----------
    sources : path, glob, folder, DataFrame, or a list of them. Several become one table; each row
        keeps ``source_file`` and ``source_line``.
    strict : raise :class:`DataError` naming file, line and field for any bad row (default), or
        keep the good rows and list the rest in ``Runs.errors``.
    format : force ``"jsonl"``, ``"csv"``, ``"json"`` or ``"parquet"`` instead of the file suffix, or
        name another tool's log: ``"inspect"``, ``"lm_eval"``, ``"openai_evals"``, ``"promptfoo"``,
        ``"otel"`` (these are also detected). ``frame.attrs["import_notes"]`` says what was dropped.
    allow_incomplete : load logs of runs that did not finish (refused by default).
    columns : rename before validation, ``{new name: column in the file}``: ``{"reference": "gold"}``
        reads your ``gold`` column as the canonical ``reference``; ``{"human_relevance": "relevance"}``
        keeps a rating out of the reserved retrieval column ``relevance``.
    progress : show a progress bar when reading takes more than two seconds.

    Examples
    --------
    >>> runs = evalnb.load_runs("sample_data/runs/*.jsonl")      # doctest: +SKIP
    >>> runs.df.groupby("model").size()                          # doctest: +SKIP
    """
    frame, errors = _load(sources, strict, "runs", "eval runs", format, allow_incomplete, columns, progress)
    return Runs(frame, errors)


def load_kpis(sources: Sources, *, strict: bool = True, format: str | None = None,
              columns: Mapping[str, str] | None = None, progress: bool = True) -> Kpis:
    """Read a production KPI log (``request_id`` and/or ``item_id``, ``timestamp``, KPI columns).

    KPI cells must be numeric or true/false; they are stored as floats. ``columns`` renames as in
    :func:`load_runs`.

    >>> kpis = evalnb.load_kpis("sample_data/kpis.csv")           # doctest: +SKIP
    """
    frame, errors = _load(sources, strict, "kpis", "KPI logs", format, columns=columns, progress=progress)
    return Kpis(frame, errors)


def _no_match(left: pd.DataFrame, right: pd.DataFrame, on: str) -> str:
    """Why a KPI join found nothing, with the first ids of each side (a join that matches no row
    is always a mistake: different traffic, a different key, or ids of different types)."""
    def first(col: pd.Series) -> str:
        ids = col.dropna().drop_duplicates().head(3).tolist()
        return ", ".join(repr(v) for v in ids) or "(none)"

    msg = (f"0 of {len(left):,} eval rows found an outcome in the KPI log ({len(right):,} rows); the join key was "
           f"{on}; first ids on each side: eval {first(left[on])}; KPI log {first(right[on])}.")
    if left[on].astype(str).isin(right[on].dropna().astype(str)).any():
        msg += (f" The ids match as text but not as values ({left[on].dtype} vs {right[on].dtype}): "
                f"write {on} as text on both sides.")
    else:
        msg += " Check that the KPI log comes from the same traffic, or join on another key (on=...)."
    return msg


def join_kpis(runs: Runs | pd.DataFrame, kpis: Kpis | pd.DataFrame, on: str | None = None,
              how: Literal["left", "inner"] = "left") -> pd.DataFrame:
    """Join eval rows with KPI outcomes.

    The key is ``request_id`` when both tables have it (one production request per eval row),
    else ``item_id``. KPI columns that clash with eval columns get a ``kpi_`` prefix.
    The coverage is stored in ``frame.attrs["kpi_coverage"]``.
    """
    left = runs.df if isinstance(runs, Runs) else runs
    right = kpis.df if isinstance(kpis, Kpis) else kpis
    if on is None:
        on = "request_id" if "request_id" in left and "request_id" in right and right["request_id"].notna().any() else "item_id"
    if on not in left or on not in right:
        raise DataError(f"cannot join on '{on}': eval runs have {on in left}, KPI log has {on in right}")
    right = right.drop(columns=[c for c in ("source_file", "source_line") if c in right])
    drop = [c for c in ("request_id", "item_id", "model", "run_id") if c in right and c != on]
    right = right.drop(columns=drop)
    right = right.rename(columns={c: f"kpi_{c}" for c in right.columns if c != on and c in left.columns})
    if len(left) and len(right) and not left[on].isin(right[on].dropna()).any():
        raise DataError(_no_match(left, right, on))
    joined = left.merge(right, on=on, how=how, validate="many_to_one")
    kpi_cols = [c for c in right.columns if c != on]
    matched = joined[kpi_cols].notna().any(axis=1).sum() if kpi_cols else 0
    joined.attrs["kpi_coverage"] = {"key": on, "eval_rows": len(left), "matched": int(matched),
                                    "kpi_rows": len(right), "kpi_columns": kpi_cols}
    return joined
