"""Time of ``evalnb.report`` on the SummEval-based run of issue 17 (16 systems x 100 documents).

Five text metrics (rouge1, rouge2, rougeL, bleu, chrf) are scored once, the expert relevance
rating is the KPI (one row per summary, joined on request_id), and a two-metric portfolio gates
rouge1 and rougeL. Prints the time of scoring, of the strict and the interactive report from those
scores (per section), the PDF, and the report that scores by itself (``metrics=...``, the path the
issue timed at 145 s), with the page sizes. CPU seconds beside wall seconds: the machine is shared,
and the CPU figure moves less with the load (child processes such as Chromium are not counted).

Run: ``.venv/bin/python benchmarks/bench_report.py [--docs 100] [--skip-self-scoring]``
(needs ../shared/data/summeval, or ``EVALNB_SHARED_DATA``).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
METRICS = ["rouge1", "rouge2", "rougeL", "bleu", "chrf"]


def summeval(n_docs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs frame and the KPI log (expert relevance per summary)."""
    shared = Path(os.environ.get("EVALNB_SHARED_DATA", ROOT.parent / "shared" / "data"))
    raw = pd.read_json(shared / "summeval" / "summeval_expert_1600.jsonl", lines=True, dtype=False)
    raw = raw[raw["doc_id"].isin(sorted(raw["doc_id"].unique())[:n_docs])].reset_index(drop=True)
    rid = raw["system_id"].astype(str) + "|" + raw["doc_id"].astype(str)
    runs = pd.DataFrame({"model": raw["system_id"].astype(str), "item_id": raw["doc_id"].astype(str),
                         "task": "summarization", "request_id": rid, "output": raw["system_output"],
                         "references": raw["references"]})
    kpis = pd.DataFrame({"request_id": rid, "timestamp": pd.Timestamp("2026-01-01", tz="UTC"),
                         "relevance": raw["relevance"].astype(float)})
    return runs, kpis


def portfolio():
    from evalnb.portfolio.config import Gate, MetricSpec, Outcome, Portfolio

    return Portfolio(name="summeval", outcome=Outcome(kpi="relevance"), primary=[
        MetricSpec(name="rouge1", source="column", direction="higher", gate=Gate(threshold=0.35, rule="point", min_n=50)),
        MetricSpec(name="rougeL", source="column", direction="higher", gate=Gate(threshold=0.22, rule="point", min_n=50)),
    ])


def timed(label: str, fn, results: list) -> object:
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    results.append((label, time.perf_counter() - start, time.process_time() - cpu))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--skip-self-scoring", action="store_true", help="skip report(metrics=...) (scores inside)")
    ap.add_argument("--pdf", action="store_true", help="also time the PDF (headless Chromium)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import evalnb

    frame, kpi_frame = summeval(args.docs)
    runs, kpis = evalnb.load_runs(frame, progress=False), evalnb.load_kpis(kpi_frame, progress=False)
    port = portfolio()
    out = Path(tempfile.mkdtemp(prefix="bench-report-"))
    res: list = []
    print(f"SummEval: {len(runs.models)} systems x {frame['item_id'].nunique()} documents = {len(frame):,} rows; "
          f"metrics {', '.join(METRICS)}; portfolio gates rouge1, rougeL; KPI relevance (expert)")
    scores = timed("score (5 text metrics)", lambda: evalnb.score(runs, METRICS, progress=False), res)
    common = dict(kpis=kpis, portfolio=port, scores=scores, progress=False)
    strict = timed("report, strict (from the scores)", lambda: evalnb.report(runs, path=out / "strict.html", **common), res)
    inter = timed("report, interactive (from the scores)",
                  lambda: evalnb.report(runs, path=out / "interactive.html", interactive=True, **common), res)
    if args.pdf:
        timed("PDF of the strict form", lambda: strict.to_pdf(out / "report.pdf"), res)
    if not args.skip_self_scoring:
        timed("report, strict, scoring itself (metrics=...)",
              lambda: evalnb.report(runs, kpis=kpis, portfolio=port, metrics=METRICS, path=out / "self.html",
                                    progress=False), res)
    print(f"\n{'step':48s} {'wall s':>8s} {'CPU s':>8s}")
    for label, seconds, cpu in res:
        print(f"{label:48s} {seconds:8.1f} {cpu:8.1f}")
    print(f"{'score + strict report (the issue: 145 s)':48s} {res[0][1] + res[1][1]:8.1f} {res[0][2] + res[1][2]:8.1f}")
    print(f"load average (2-core machine, shared): {os.getloadavg()[0]:.1f}")
    print(f"\nstrict: {strict.size_bytes:,} bytes; interactive: {inter.size_bytes:,} bytes; files in {out}")
    print("per section (strict):")
    for title, seconds in strict.timings.items():
        print(f"  {title:30s} {seconds:6.2f} s   {strict.sections[title][:70]}")


if __name__ == "__main__":
    main()
