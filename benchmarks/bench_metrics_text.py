#!/usr/bin/env python3
"""Text metrics: evalnb vs the reference implementations, side by side, in one run.

    .venv/bin/python benchmarks/bench_metrics_text.py                       # full sizes
    .venv/bin/python benchmarks/bench_metrics_text.py --rouge-pairs 2000 --qa-pairs 20000 \\
        --bleu-items 400 --bert-items 40                                      # quick

Rows (pairs are drawn, seeded, from the sample data's texts):
  rouge      ROUGE-1/2/L/Lsum F/P/R, stemming, on news-summary-length pairs (three sample summaries
             joined per side, ~60 words): rouge-score per pair vs evalnb (rouge-score-rs batch)
  bleu/chrf  5 models x the same references: sacrebleu sentence_score per item + corpus_score per
             model (what it takes to get both) vs evalnb (per-item + corpus from summed statistics);
             a second row compares against sacrebleu's per-item loop alone
  qa         EM + F1 over gold lists: the official SQuAD v1.1 per-pair loop vs evalnb
  bertscore  cold: 5 models, one BERTScorer.score over all pairs vs evalnb with an empty cache;
             incremental: a 6th model added: BERTScorer.score re-scoring all 6 vs evalnb with the
             5 models' texts cached, in the same process (memory layer) and from disk alone
Ratios compare two timings taken in the same run (the machine may be shared: trust ratios).
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import re
import string
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def load_texts(sample_dir: Path) -> pd.DataFrame:
    import evalnb

    if not (sample_dir / "runs").exists():
        sys.exit(f"no sample runs under {sample_dir}: run python sample_data/make_sample_data.py")
    df = evalnb.load_runs(str(sample_dir / "runs" / "*.jsonl")).df
    return df[df.output.notna() & df.reference.notna()]


def _perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    keep = [w for w in words if rng.random() > 0.2]
    return " ".join(keep or words)


def five_models(df: pd.DataFrame, tasks: list[str], n_items: int, rng: random.Random) -> pd.DataFrame:
    """n_items items x 5 models: the 4 sample models plus a perturbed copy of one of them."""
    sub = df[df.task.isin(tasks)]
    wide = sub.pivot_table(index="item_id", columns="model", values="output", aggfunc="first").dropna()
    refs = sub.groupby("item_id").reference.first()
    items = list(wide.index)
    chosen = [items[rng.randrange(len(items))] for _ in range(n_items)]
    rows = []
    for k, item in enumerate(chosen):
        for model in wide.columns:
            rows.append((model, f"i{k}", wide.at[item, model], refs[item]))
        rows.append(("model-5", f"i{k}", _perturb(wide.at[item, wide.columns[0]], rng), refs[item]))
    return pd.DataFrame(rows, columns=["model", "item_id", "output", "reference"])


# ---- rows ---------------------------------------------------------------------------------
def bench_rouge(df, n, rng):
    from rouge_score import rouge_scorer

    from evalnb.metrics.overlap import Rouge1, Rouge2, RougeL, RougeLsum

    # Summary pairs of news-summary length (~60 words, like CNN/DailyMail highlights): each side
    # joins three sample summaries (the outputs and their references), lightly perturbed so that
    # (almost) every pair is distinct.
    sub = df[df.task == "summarization"]
    outs, refs = sub.output.tolist(), sub.reference.tolist()
    hyps, golds = [], []
    for _ in range(n):
        k = [rng.randrange(len(outs)) for _ in range(3)]
        hyps.append(_perturb(" ".join(outs[i] for i in k), rng))
        golds.append(" ".join(refs[i] for i in k))
    pairs = pd.DataFrame({"output": hyps, "reference": golds})
    types = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=True)
    peer, t_peer = _timed(lambda: [scorer.score(r, h) for r, h in zip(pairs.reference, pairs.output)])
    metrics = [Rouge1(), Rouge2(), RougeL(), RougeLsum()]
    ours, t_ours = _timed(lambda: pd.concat([m.score(pairs) for m in metrics], axis=1))
    diff = max(np.abs(ours[t].to_numpy() - np.array([p[t].fmeasure for p in peer])).max() for t in types)
    return [("rouge1/2/L/Lsum", n, "rouge-score", t_peer, t_ours, diff)]


def bench_sacre(df, n_items, rng):
    import sacrebleu

    from evalnb.metrics.overlap import Bleu, Chrf

    frame = five_models(df, ["summarization", "chat", "rag"], n_items, rng)
    rows = []
    for name, ours_cls, peer_cls in (("bleu", Bleu, lambda: sacrebleu.BLEU(effective_order=True)),
                                     ("chrf", Chrf, sacrebleu.CHRF)):
        groups = list(frame.groupby("model").groups.items())

        def peer(full=True):
            m = peer_cls()
            sent, corpus = [], {}
            for model, idx in groups:
                hyps, refs = frame.output[idx].tolist(), frame.reference[idx].tolist()
                sent += [m.sentence_score(h, [r]).score for h, r in zip(hyps, refs)]
                if full:
                    corpus[model] = m.corpus_score(hyps, [refs]).score
            return sent, corpus

        def ours():
            m = ours_cls()
            out = m.score(frame)
            return out, {model: m.corpus_score(out.loc[idx])[name] for model, idx in groups}

        (p_sent, p_corpus), t_peer = _timed(peer)
        _, t_peer_sent = _timed(lambda: peer(False))
        (o_out, o_corpus), t_ours = _timed(ours)
        order = np.concatenate([idx for _, idx in groups])
        diff = max(np.abs(o_out[name].to_numpy()[order] - np.array(p_sent)).max(),
                   max(abs(o_corpus[k] - p_corpus[k]) for k in p_corpus))
        n = len(frame)
        rows.append((f"{name} 5 models (sent+corpus)", n, "sacrebleu", t_peer, t_ours, diff))
        rows.append((f"{name} 5 models (vs sent only)", n, "sacrebleu", t_peer_sent, t_ours, diff))
    return rows


def bench_sacre_words(n_rows, seed):
    """The issue's workload: 20-60-word English-like texts, every row its own reference (no sharing).

    sacrebleu's sentence_score per row vs evalnb's column-wise counting, same numbers asserted.
    """
    import sacrebleu

    from evalnb.metrics.overlap import Bleu, Chrf

    rng = np.random.default_rng(seed)
    words = [w.strip(".,;:!?\"'()") for w in " ".join(load_texts(Path(ROOT / "sample_data"))["output"]).split()]
    vocab = np.array(sorted({w for w in words if w}) or ["word"])
    outs, refs = [], []
    for _ in range(n_rows):
        k = int(rng.integers(20, 61))
        ref = vocab[rng.zipf(1.3, k) % len(vocab)]
        out = ref.copy()
        swap = rng.random(k) < rng.uniform(0.1, 0.7)
        out[swap] = vocab[rng.integers(0, len(vocab), int(swap.sum()))]
        refs.append(" ".join(ref) + ".")
        outs.append(" ".join(out) + ".")
    frame = pd.DataFrame({"model": "m", "output": outs, "reference": refs})
    rows = []
    for name, ours_cls, peer in (("bleu", Bleu, sacrebleu.BLEU(effective_order=True)), ("chrf", Chrf, sacrebleu.CHRF())):
        p_sent, t_peer = _timed(lambda: [peer.sentence_score(h, [r]).score for h, r in zip(outs, refs)])
        o_out, t_ours = _timed(lambda: ours_cls().score(frame))
        diff = float(np.abs(o_out[name].to_numpy() - np.array(p_sent)).max())
        rows.append((f"{name} 20-60 words, own ref", n_rows, "sacrebleu", t_peer, t_ours, diff))
    return rows


# the official SQuAD v1.1 functions (evaluate-v1.1.py)
def _normalize_answer(s):
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def _f1_score(prediction, ground_truth):
    prediction_tokens = _normalize_answer(prediction).split()
    ground_truth_tokens = _normalize_answer(ground_truth).split()
    common = collections.Counter(prediction_tokens) & collections.Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def _em(prediction, ground_truth):
    return _normalize_answer(prediction) == _normalize_answer(ground_truth)


def bench_qa(df, n, rng):
    from evalnb.metrics.qa import squad_scores

    qa = df[df.task == "qa"]
    golds_pool = [list(r) if isinstance(r, (list, np.ndarray)) else [g] for r, g in zip(qa.references, qa.reference)]
    outs = qa.output.tolist()
    words = [w for o in outs for w in o.split()]
    preds, golds = [], []
    for _ in range(n):
        i = rng.randrange(len(outs))
        u = rng.random()  # mostly distinct strings: the official loop gets no help from repeats
        p = (outs[i] if u < 0.2 else _perturb(outs[i] + " " + rng.choice(words), rng) if u < 0.7
             else " ".join(rng.choice(words) for _ in range(rng.randint(0, 5))))
        preds.append(p)
        golds.append(golds_pool[i if rng.random() < 0.8 else rng.randrange(len(golds_pool))])

    def official():
        em = [float(max(_em(p, g) for g in gs)) for p, gs in zip(preds, golds)]
        f1 = [float(max(_f1_score(p, g) for g in gs)) for p, gs in zip(preds, golds)]
        return np.array(em), np.array(f1)

    squad_scores(preds[:100], golds[:100])  # warm up: pyarrow's import is not part of the work
    (pe, pf), t_peer = _timed(official)
    (oe, of), t_ours = _timed(lambda: squad_scores(preds, golds))
    diff = max(np.abs(pe - oe).max(), np.abs(pf - of).max())
    return [("exact_match + token_f1", n, "official v1.1 loop", t_peer, t_ours, diff)]


def bench_bert(df, n_items, rng, threads):
    import torch

    torch.set_num_threads(threads)
    import shutil

    from evalnb.metrics._embedding_cache import MEMORY, flush_shared
    from evalnb.metrics.semantic import BertScore, get_scorer

    six = five_models(df, ["summarization", "chat", "rag"], n_items, rng)
    # a 6th model: another perturbation, so its texts are new
    extra = six[six.model == "model-5"].assign(model="model-6")
    extra["output"] = [_perturb(t, rng) + " " for t in extra.output]
    six = pd.concat([six, extra], ignore_index=True)
    five = six[six.model != "model-6"].reset_index(drop=True)
    scorer = get_scorer()  # model loading is outside both timings
    scorer.score(["warm up"], ["warm up"])
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as disk:
        peer5, t_peer = _timed(lambda: scorer.score(five.output.tolist(), five.reference.tolist()))
        ours5, t_ours = _timed(lambda: BertScore(cache_dir=cache).score(five))
        rows.append(("bertscore cold, 5 models", len(five), "BERTScorer.score", t_peer, t_ours,
                     float(np.abs(ours5.bertscore_f1.to_numpy() - peer5[2].numpy()).max())))
        flush_shared()  # the file is written in the background: let it finish before copying
        shutil.copytree(cache, disk, dirs_exist_ok=True)
        peer6, t_peer = _timed(lambda: scorer.score(six.output.tolist(), six.reference.tolist()))
        # in the same process (a notebook): the 5 models' embeddings are in the memory layer
        ours6, t_ours = _timed(lambda: BertScore(cache_dir=cache).score(six))
        rows.append(("bertscore +1 model (all 6)", len(six), "BERTScorer.score", t_peer, t_ours,
                     float(np.abs(ours6.bertscore_f1.to_numpy() - peer6[2].numpy()).max())))
        _, t_write = _timed(flush_shared)
        # a fresh process: the 5 models' embeddings are read back from the SQLite file
        MEMORY.clear()
        ours6d, t_ours = _timed(lambda: BertScore(cache_dir=disk).score(six))
        rows.append(("bertscore +1 model, from disk", len(six), "BERTScorer.score", t_peer, t_ours,
                     float(np.abs(ours6d.bertscore_f1.to_numpy() - peer6[2].numpy()).max())))
        print(f"bertscore: the +1 model's embeddings reached the SQLite file {t_write:.2f} s after "
              "its call returned (background write)")
    return rows


# ---- memory ---------------------------------------------------------------------------------
# Each cell runs in a fresh process: build the inputs, warm up on 100 rows (imports, lazy
# objects), hand freed memory back to the OS, reset the kernel's peak-RSS mark
# (/proc/self/clear_refs), score, read the peak (VmHWM). RSS sees every allocator (numpy, Arrow,
# Rust), which tracemalloc does not.
_MEM_JOBS = {  # job -> (frame kind, peer job, what it runs)
    "bleu": ("text", "sacrebleu-bleu", "evalnb.score(frame, ['bleu'])"),
    "chrf": ("text", "sacrebleu-chrf", "evalnb.score(frame, ['chrf'])"),
    "rouge": ("text", "rouge-score", "evalnb.score(frame, ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'])"),
    "qa": ("qa", "squad-official", "evalnb.score(frame, ['exact_match', 'token_f1'])"),
}
_PEER_KIND = {"sacrebleu-bleu": "text", "sacrebleu-chrf": "text", "rouge-score": "text",
              "squad-official": "qa"}
_METRICS = {"bleu": ["bleu"], "chrf": ["chrf"], "rouge": ["rouge1", "rouge2", "rougeL", "rougeLsum"],
            "qa": ["exact_match", "token_f1"]}


def memory_frame(df: pd.DataFrame, kind: str, n: int, rng: random.Random) -> pd.DataFrame:
    """n rows = n/5 items x 5 models, model after model (as concatenated run files are).

    Texts are the sample data's; every item gets a word of its own (appended to its reference or
    gold answers and to its outputs), so that (almost) every reference and output is distinct
    however large n is, as in a real eval set.
    """
    n_items = max(n // 5, 1)
    task = ["summarization", "chat", "rag"] if kind == "text" else ["qa"]
    sub = df[df.task.isin(task)]
    wide = sub.pivot_table(index="item_id", columns="model", values="output", aggfunc="first").dropna()
    cols = [wide[m].tolist() for m in wide.columns]
    words = sorted({w for c in cols for o in c for w in o.split()})
    pick = [(rng.randrange(len(wide)), rng.choice(words)) for _ in range(n_items)]
    if kind == "text":
        refs = sub.groupby("item_id").reference.first()[wide.index].tolist()
        ref = [f"{refs[i]} {w}" for i, w in pick]
        outs = [[f"{c[i]} {w}" for i, w in pick] for c in cols]
        outs.append([_perturb(t, rng) for t in outs[0]])
        return pd.DataFrame({"output": [t for o in outs for t in o], "reference": ref * len(outs)})
    gold = sub.groupby("item_id").references.first()[wide.index].tolist()
    golds = [[f"{g} {w}" for g in gold[i]] for i, w in pick]
    outs = [[f"{c[i]} {w}" if rng.random() < 0.5 else c[i] for i, w in pick] for c in cols]
    outs.append([_perturb(t, rng) for t in outs[0]])
    return pd.DataFrame({"output": [t for o in outs for t in o], "references": golds * len(outs)})


def _proc_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        return int(re.search(rf"^{field}:\s+(\d+)", fh.read(), re.M).group(1))


def _give_back_free_memory() -> None:
    import ctypes
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the figures include some allocator slack
        pass


def _peer_run(job: str, frame: pd.DataFrame):
    """The reference library doing the same job on plain lists (its natural input)."""
    if job in ("sacrebleu-bleu", "sacrebleu-chrf"):
        import sacrebleu

        m = sacrebleu.BLEU(effective_order=True) if job == "sacrebleu-bleu" else sacrebleu.CHRF()
        step = len(frame) // 5
        hyps, refs = frame.output.tolist(), frame.reference.tolist()

        def run():
            sent, corpus = [], []
            for a in range(0, len(hyps), step):  # per model: sentence scores, then corpus score
                h, r = hyps[a:a + step], refs[a:a + step]
                sent += [m.sentence_score(x, [y]).score for x, y in zip(h, r)]
                corpus.append(m.corpus_score(h, [r]).score)
            return sent, corpus
        return run
    if job == "rouge-score":
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
        hyps, refs = frame.output.tolist(), frame.reference.tolist()
        return lambda: [scorer.score(r, h) for r, h in zip(refs, hyps)]
    preds, golds = frame.output.tolist(), [list(g) for g in frame.references]
    return lambda: ([float(max(_em(p, g) for g in gs)) for p, gs in zip(preds, golds)],
                    [float(max(_f1_score(p, g) for g in gs)) for p, gs in zip(preds, golds)])


def _memory_cell(df: pd.DataFrame, job: str, n: int, seed: int) -> dict:
    """Peak RSS above the inputs while ``job`` scores n rows, in this (fresh) process."""
    import evalnb

    kind = _MEM_JOBS[job][0] if job in _MEM_JOBS else _PEER_KIND[job]
    frame = memory_frame(df, kind, n, random.Random(seed))
    small = memory_frame(df, kind, 100, random.Random(seed + 1))
    if job in _MEM_JOBS:
        def make(f):
            return lambda: evalnb.score(f, _METRICS[job], progress=False)
    else:
        def make(f):
            return _peer_run(job, f)
    make(small)()
    run = make(frame)
    _give_back_free_memory()
    before = _proc_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    t = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - t
    peak = (_proc_kib("VmHWM") - before) * 1024
    out = sum(result.df[c].to_numpy().nbytes for c in result.df.columns) if job in _MEM_JOBS else 0
    return {"job": job, "n": len(frame), "peak": peak, "out": out, "seconds": seconds}


def bench_memory(args) -> None:
    import json
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    def cell(job_n):
        job, n = job_n
        cmd = [sys.executable, __file__, "--memory-cell", job, str(n), "--seed", str(args.seed),
               "--sample-dir", args.sample_dir]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            sys.exit(f"memory cell {job} n={n} failed:\n{res.stderr}")
        return json.loads(res.stdout.strip().splitlines()[-1])

    want = [j for j in _MEM_JOBS if not args.only or {"chrf": "bleu"}.get(j, j) in args.only]
    todo = [(j, n) for j in want for n in args.memory_sizes]
    todo += [(_MEM_JOBS[j][1], n) for j in want for n in args.memory_peer_sizes]
    # cells are separate processes: running two at a time changes their speed, not their memory
    with ThreadPoolExecutor(args.memory_workers) as pool:
        cells = dict(zip(todo, pool.map(cell, todo)))
    mib = 1024 * 1024

    def growth(cs, minus_out):  # bytes per added row between the two largest sizes
        lo, hi = cs[-2], cs[-1]
        return ((hi["peak"] - hi["out"] * minus_out) - (lo["peak"] - lo["out"] * minus_out)) / (hi["n"] - lo["n"])

    print(f"\nevalnb text metrics: peak memory above the inputs, MiB (RSS high-water mark, one fresh "
          f"process per cell; seed {args.seed}; model after model, distinct texts)")
    sizes = "".join(f"{'n=' + format(n, ','):>10}" for n in args.memory_sizes)
    peer_sizes = "".join(f"{'n=' + format(n, ','):>9}" for n in args.memory_peer_sizes)
    head = f"{'metric':7}{sizes}{'output':>9}{'growth':>9}  {'peer':15}{peer_sizes}{'growth':>9}"
    print(head)
    print("-" * len(head))
    for job in want:
        ours = [cells[job, n] for n in args.memory_sizes]
        peer_job = _MEM_JOBS[job][1]
        peer = [cells[peer_job, n] for n in args.memory_peer_sizes]
        print(f"{job:7}" + "".join(f"{c['peak'] / mib:>10.1f}" for c in ours)
              + f"{ours[-1]['out'] / ours[-1]['n']:>7.0f} B{growth(ours, True):>7.0f} B  {peer_job:15}"
              + "".join(f"{c['peak'] / mib:>9.1f}" for c in peer) + f"{growth(peer, False):>7.0f} B")
    print("output: bytes per row of the result columns (float64). growth: how much the peak beyond "
          "the output grows per added row between the two largest n (0 = flat); for the peer, how "
          "much its peak grows per row (its per-item results included). Jobs: "
          + "; ".join(f"{j}: {_MEM_JOBS[j][2]}" for j in want))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rouge-pairs", type=int, default=20_000)
    ap.add_argument("--bleu-items", type=int, default=2_000, help="items per model (5 models)")
    ap.add_argument("--words-rows", type=int, default=20_000,
                    help="rows of 20-60-word texts, each with its own reference (BLEU/chrF line speed)")
    ap.add_argument("--qa-pairs", type=int, default=100_000)
    ap.add_argument("--bert-items", type=int, default=200, help="items per model (5 + 1 models)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for BERTScore")
    ap.add_argument("--only", nargs="*", choices=["rouge", "bleu", "qa", "bert"])
    ap.add_argument("--sample-dir", default=os.environ.get("EVALNB_SAMPLE_DIR", str(ROOT / "sample_data")))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory", action="store_true",
                    help="print peak memory per metric and size instead of the speed table")
    ap.add_argument("--memory-sizes", type=int, nargs="+", default=[20_000, 50_000, 100_000],
                    help="rows (5 models x n/5 items) for evalnb's memory rows")
    ap.add_argument("--memory-peer-sizes", type=int, nargs="+", default=[2_000, 10_000],
                    help="rows for the reference libraries (slower: rouge-score runs ~800 pairs/s)")
    ap.add_argument("--memory-workers", type=int, default=2, help="memory cells run at a time")
    ap.add_argument("--memory-cell", nargs=2, metavar=("JOB", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_cell:
        import json

        job, n = args.memory_cell
        print(json.dumps(_memory_cell(load_texts(Path(args.sample_dir)), job, int(n), args.seed)))
        return 0
    if args.memory:
        bench_memory(args)
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    df = load_texts(Path(args.sample_dir))
    rng = random.Random(args.seed)
    want = set(args.only or ["rouge", "bleu", "qa", "bert"])
    rows = []
    if "rouge" in want:
        rows += bench_rouge(df, args.rouge_pairs, rng)
    if "bleu" in want:
        rows += bench_sacre(df, args.bleu_items, rng)
        rows += bench_sacre_words(args.words_rows, args.seed)
    if "qa" in want:
        rows += bench_qa(df, args.qa_pairs, rng)
    if "bert" in want:
        rows += bench_bert(df, args.bert_items, rng, args.threads)
    print(f"\nevalnb text metrics vs peers (seed {args.seed}; torch threads {args.threads}; "
          f"RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'all cores')}; {os.cpu_count()} CPUs)")
    head = f"{'benchmark':30} {'n':>8} {'peer':>18} {'peer/s':>10} {'evalnb/s':>10} {'ratio':>7} {'max|diff|':>10}"
    print(head)
    print("-" * len(head))
    for name, n, peer, tp, to, diff in rows:
        print(f"{name:30} {n:>8} {peer:>18} {n / tp:>10.0f} {n / to:>10.0f} {tp / to:>6.1f}x {diff:>10.2g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
