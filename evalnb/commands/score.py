"""``evalnb score RUNS... -m NAME[,NAME...] [-o OUT.parquet] [--map canonical=column ...]``.

Scores eval runs and writes the per-item scores to Parquet atomically, with every metric's
signature, status, settings and outputs stored in the file's metadata so ``evalnb summarize`` and
``evalnb compare`` aggregate each column the way its metric says. Also home of
:func:`save_scores` / :func:`load_scores`, the Parquet round trip of :class:`Scores`.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import DataError, EvalnbError
from ..metrics.base import Metric, Output

META_SIGNATURES = "evalnb.signatures"
META_STATUS = "evalnb.status"
META_METRICS = "evalnb.metrics"


class StoredMetric(Metric):
    """Stand-in for a metric that cannot be rebuilt here (a judge metric without its endpoint):
    keeps its outputs and signature so summaries aggregate its columns correctly."""

    name = "stored"
    family = "stored"

    def __init__(self, name: str, signature: str, outputs: tuple[Output, ...]):
        super().__init__()
        self.name, self._signature, self.outputs = name, signature, outputs

    def signature(self) -> str:
        return self._signature


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def save_scores(scores, path: str | Path) -> Path:
    """Write Scores to Parquet (atomic), signatures and metric specs in the metadata.

    >>> save_scores(evalnb.score(runs, ["accuracy"]), "scores.parquet")   # doctest: +SKIP
    """
    from ..io.writers import write_parquet

    specs = {name: {"metric": type(m).name, "settings": m.settings,
                    "outputs": [o.__dict__ for o in m.outputs]} for name, m in scores.metrics.items()}
    meta = {META_SIGNATURES: json.dumps(dict(scores.signatures), sort_keys=True),
            META_STATUS: json.dumps(dict(scores.status), sort_keys=True),
            META_METRICS: json.dumps(specs, sort_keys=True, default=_json_default, allow_nan=False)}
    return write_parquet(scores.df, path, metadata=meta)


def load_scores(path: str | Path):
    """Read a scores Parquet file written by :func:`save_scores` back into Scores.

    Metrics are rebuilt from the registry with their recorded settings; one that cannot be rebuilt
    becomes a :class:`StoredMetric` that keeps its outputs and signature.

    >>> scores = load_scores("scores.parquet")        # doctest: +SKIP
    """
    import pyarrow.parquet as pq

    from ..io.readers import JSON_COLUMNS_META, loads_strict
    from ..metrics.registry import metric as make_metric
    from ..metrics.scoring import Scores

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read scores file {path}: {exc}") from exc
    meta = table.schema.metadata or {}
    frame = table.to_pandas()
    for col in json.loads(meta.get(JSON_COLUMNS_META, b"[]")):
        frame[col] = frame[col].map(lambda v: loads_strict(v) if isinstance(v, str) else v)
    signatures = json.loads(meta.get(META_SIGNATURES.encode(), b"{}"))
    status = json.loads(meta.get(META_STATUS.encode(), b"{}"))
    specs = json.loads(meta.get(META_METRICS.encode(), b"{}"))
    metrics: dict[str, Metric] = {}
    for name, spec in specs.items():
        try:
            built = make_metric(spec["metric"], **spec.get("settings", {}))
            if built.signature() != signatures.get(name, built.signature()):
                raise EvalnbError("signature changed")
        except (EvalnbError, TypeError, ValueError):
            outputs = tuple(Output(**o) for o in spec.get("outputs", []))
            built = StoredMetric(name, signatures.get(name, name), outputs)
        metrics[name] = built
    return Scores(frame, metrics, signatures, status)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", help="eval-run files, globs or folders (JSONL, CSV, Parquet)")
    parser.add_argument("-m", "--metrics", action="append", required=True, metavar="NAME[,NAME...]",
                        help="metrics to compute, e.g. -m accuracy,latency -m recall@5 (see evalnb.list_metrics())")
    parser.add_argument("-o", "--output", metavar="OUT.parquet", help="write per-item scores here")
    parser.add_argument("--map", action="append", default=[], metavar="CANONICAL=COLUMN",
                        help="point a canonical column at one of yours, e.g. --map reference=gold_answer")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="ray: score batches in Ray Data actors (same numbers); -o is then a folder of Parquet partitions")
    parser.add_argument("--address", help="a running Ray cluster for --engine ray (auto, ray://host:10001)")


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        canonical, sep, column = pair.partition("=")
        if not sep or not canonical.strip() or not column.strip():
            raise EvalnbError(f"--map expects CANONICAL=COLUMN (e.g. reference=gold_answer), got {pair!r}")
        mapping[canonical.strip()] = column.strip()
    return mapping


def _mapped_sources(paths: list[str], mapping: dict[str, str]) -> pd.DataFrame:
    """Read the files and rename the user's columns to canonical names *before* validation, so a
    run whose gold answers live in ``gold_answer`` validates like one that uses ``reference``."""
    from ..io.readers import read_sources
    from ..io.validate import format_problems

    tables = list(read_sources(paths))
    problems = [p for t in tables for p in t.problems]
    if problems:
        raise DataError(f"{len(problems)} problem(s) while reading {', '.join(paths)}:\n"
                        + format_problems(problems), problems=problems)
    frame = pd.DataFrame([r for t in tables for r in t.records])
    absent = [col for col in mapping.values() if col not in frame.columns]
    if absent:
        raise EvalnbError(f"--map names column(s) {absent} that the runs do not have; "
                          f"columns are: {', '.join(map(str, frame.columns))}")
    clash = [canon for canon, col in mapping.items() if canon in frame.columns and canon != col]
    frame = frame.drop(columns=clash).rename(columns={col: canon for canon, col in mapping.items()})
    return frame


def short_table(scores) -> pd.DataFrame:
    """Per-model mean of every metric output (no CIs: use ``evalnb summarize`` for those)."""
    cols = [c for c in scores.score_columns if pd.api.types.is_numeric_dtype(scores.df[c])]
    by = ["model"] if "model" in scores.df else []
    if not cols:
        return pd.DataFrame()
    if not by:
        return scores.df[cols].mean().to_frame("mean").T
    table = scores.df.groupby(by)[cols].mean()
    table.insert(0, "n", scores.df.groupby(by).size())
    return table.reset_index()


def run(args: argparse.Namespace) -> int:
    from ..metrics.registry import metric as make_metric
    from ..metrics.scoring import score
    from ..runs import load_runs

    names = [n.strip() for group in args.metrics for n in group.split(",") if n.strip()]
    built = [make_metric(n) for n in names]  # an unknown name fails before any file is read
    mapping = _parse_map(args.map)
    if args.engine == "ray":
        return _run_ray(args, built, mapping)
    if args.address:
        raise EvalnbError("--address is for --engine ray")
    runs = load_runs(_mapped_sources(args.runs, mapping) if mapping else args.runs)
    scores = score(runs, built, progress=not args.no_progress)
    for name, state in scores.status.items():
        print(f"{name}: {state}  [{scores.signatures.get(name, '')}]")
    table = short_table(scores)
    if not table.empty:
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.output:
        save_scores(scores, args.output)
        print(f"wrote {len(scores.df):,} rows to {args.output}", file=sys.stderr)
    failed = [n for n, s in scores.status.items() if s != "ok"]
    return 2 if failed and len(failed) == len(scores.status) else 0


def _run_ray(args: argparse.Namespace, built: list, mapping: dict[str, str]) -> int:
    """Score on Ray Data: the files are read by Ray (Parquet/JSONL partitions), not loaded here."""
    from ..metrics.engines import score

    result = score(args.runs if not mapping else _mapped_sources(args.runs, mapping), built, engine="ray",
                   address=args.address, output=args.output)
    for name, state in result.status.items():
        print(f"{name}: {state}  [{result.signatures.get(name, '')}]")
    if args.output:
        print(f"wrote Parquet partitions to {args.output}", file=sys.stderr)
    else:
        table = short_table(result)
        if not table.empty:
            print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    failed = [n for n, s in result.status.items() if s != "ok"]
    return 2 if failed and len(failed) == len(result.status) else 0
