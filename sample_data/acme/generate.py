"""Assemble the whole dataset and write it (the order of the steps does not matter for the
random draws: every step draws from its own named stream)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .adversarial import adversarial_rows
from .code_samples import code_truth, pass_at_k_samples
from .common import stream
from .constants import MODELS, PRICES
from .knowledge_base import build_corpus
from .kpis import draw_kpis, write_kpis_csv
from .runs import build_items, eval_rows, judge_columns, latent_quality, render_outputs
from .texts import build_item_text

DESCRIPTION = 'Generate the evalnb sample dataset: "Helpdesk assistant of the fictional company Acme Cloud".'
SAMPLE_DATA_DIR = Path(__file__).resolve().parent.parent


def generate(out_dir: Path):
    items = build_items()
    corpus = build_corpus(stream("corpus"))
    rng_text = stream("text")
    for it in items:
        build_item_text(rng_text, it, corpus)
    q, z, phi = latent_quality(items)
    outputs, correct = render_outputs(items, z, phi)
    safety, judges, human = judge_columns(items, q, outputs)
    kpi = draw_kpis(items, q)
    rows, kpi_rows = eval_rows(items, outputs, judges, safety, human, kpi)
    truth = code_truth(items, correct)
    samples = pass_at_k_samples(items, truth)
    adv_rows = adversarial_rows(items, q, outputs, judges, safety)

    out_dir = Path(out_dir)
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    (out_dir / "_truth").mkdir(parents=True, exist_ok=True)
    for m in MODELS:
        write_jsonl(out_dir / "runs" / f"{m}.jsonl", rows[m])
    write_jsonl(out_dir / "code_samples.jsonl", samples)
    write_jsonl(out_dir / "adversarial.jsonl", adv_rows)
    write_kpis_csv(out_dir / "kpis.csv", kpi_rows)
    prices = {"schema_version": 1, "currency": "USD", "models": PRICES}
    (out_dir / "prices.json").write_bytes((json.dumps(prices, indent=2) + "\n").encode("utf-8"))
    (out_dir / "_truth" / "code_truth.json").write_bytes(
        (json.dumps(truth, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return dict(rows=sum(len(v) for v in rows.values()), samples=len(samples), adversarial=len(adv_rows))


def write_jsonl(path: Path, rows):
    lines = [json.dumps(r, ensure_ascii=False, allow_nan=False, separators=(",", ":")) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--out", default=str(SAMPLE_DATA_DIR),
                    help="output directory (default: the sample_data/ folder next to this script)")
    args = ap.parse_args(argv)
    info = generate(Path(args.out))
    print(f"wrote {info['rows']} eval rows, {info['samples']} code samples, {info['adversarial']} adversarial rows "
          f"to {args.out}")
