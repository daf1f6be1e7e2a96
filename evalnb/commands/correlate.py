"""``evalnb correlate SCORES --target KPI``: associations of metrics with a KPI or human rating.

SCORES is an eval-runs file/glob (JSONL/CSV) or a scores Parquet/CSV written by ``evalnb score``.
Metric names that are not columns yet are scored first (``--metrics bleu,rouge1``).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", help="runs file/glob (jsonl, csv) or a scores parquet")
    parser.add_argument("--target", required=True, action="append",
                        help="KPI or human-rating column (repeat or comma-separate for several)")
    parser.add_argument("--kpis", metavar="KPIS", help="KPI log (CSV/JSONL/Parquet) to join on request_id/item_id")
    parser.add_argument("--metrics", help="comma-separated metric columns or registered metric names (default: numeric columns)")
    parser.add_argument("--level", default="sample", help="sample, group, system, or a comma-separated list")
    parser.add_argument("--group", help="group column for --level group (e.g. doc_id); also the bootstrap cluster")
    parser.add_argument("--system", default="model", help="system column for --level system (default: model)")
    parser.add_argument("--cluster", help="resample rows sharing this column together")
    parser.add_argument("--controls", help="comma-separated covariates for partial correlations")
    parser.add_argument("--method", default="pearson,spearman,kendall", help="pearson, spearman, kendall (comma-separated)")
    parser.add_argument("--adjust", default="holm", choices=["holm", "bh", "none"])
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON (rows + warnings)")
    out.add_argument("--csv", action="store_true", help="print CSV")
    parser.add_argument("--output", "-o", help="write to this file instead of stdout")


def _split(values) -> list[str]:
    if values is None:
        return []
    values = values if isinstance(values, list) else [values]
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _load(path: str):
    import pandas as pd

    from ..runs import load_runs

    p = Path(path)
    if p.suffix == ".parquet":
        return pd.read_parquet(p)
    if p.suffix == ".csv" and p.exists():
        head = pd.read_csv(p, nrows=1)
        if "output" not in head.columns:  # a scores table, not eval runs
            return pd.read_csv(p)
    return load_runs(path).df


def run(args: argparse.Namespace) -> int:
    import warnings

    from ..analysis.correlate import correlate
    from ..analysis.inputs import as_frame
    from ..io.writers import write_text

    frame = _load(args.scores)
    frame = as_frame(frame, args.kpis)
    metrics = _split(args.metrics) or None
    if metrics:
        missing = [m for m in metrics if m not in frame.columns]
        if missing:
            from ..metrics.scoring import score

            scored = score(frame, missing, progress=False)
            for col in scored.df.columns:
                if col not in frame.columns:
                    frame[col] = scored.df[col].to_numpy()
            expanded = []
            for m in metrics:
                if m in frame.columns:
                    expanded.append(m)
                elif m in scored.metrics:
                    expanded += [c for c in scored.metrics[m].columns if c in frame.columns]
            metrics = expanded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = correlate(frame, metrics, _split(args.target), level=_split(args.level), method=_split(args.method),
                        group=args.group, system=args.system, cluster=args.cluster, controls=_split(args.controls) or None,
                        adjust=args.adjust, n_boot=args.n_boot, seed=args.seed)
    table = res.to_frame()
    if args.json:
        rows = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
                for r in table.to_dict(orient="records")]
        settings = {k: v for k, v in res.settings.items() if not k.startswith("_")}
        text = json.dumps({"rows": rows, "warnings": list(res.warnings), "settings": settings},
                          indent=2, sort_keys=True, allow_nan=False, default=str) + "\n"
    elif args.csv:
        text = _safe_csv(table)
    else:
        text = res.summary() + "\n"
    if args.output:
        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _safe_csv(table) -> str:
    """CSV with formula-looking text cells neutralised, numbers kept (:func:`evalnb.io.spreadsheet.safe_csv`;
    object and pandas string dtypes alike)."""
    from ..io.spreadsheet import safe_csv

    return safe_csv(table)
