"""Token-overlap metrics: BLEU and chrF (sacrebleu), ROUGE-1/2/L/Lsum (rouge-score semantics).

Every number comes from the reference libraries' own code paths:

* BLEU / chrF produce sacrebleu's segment statistics (hypothesis/reference lengths, clipped n-gram
  matches; chrF's [hyp, ref, match] per order from the best reference), counted column-wise for a
  whole chunk of rows with integer n-gram keys and sorts instead of one ``Counter`` per string, and
  score them with sacrebleu's ``_compute_score_from_stats`` (BLEU) or the same f-score operation for
  operation (chrF). Tokenisation is sacrebleu's, once per distinct string. Per-item sentence scores
  equal ``sentence_score`` and the corpus value from summed statistics equals ``corpus_score``
  (tests/test_metrics_overlap.py, exact equality, multi-reference ties and large alphabets included).
* ROUGE runs on rouge-score-rs (a Rust reimplementation that is bit-identical to Google's
  rouge-score; tests/test_metrics_overlap.py proves it on real summaries) and falls back to
  rouge-score itself when rouge-score-rs is not installed.
"""
from __future__ import annotations

import logging
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._errors import MetricError, TokenizerWarning
from . import _streaming
from ._streaming import SharedPass, row_chunks, text_digest
from .base import CORPUS, MEAN, Metric, Output, library_version
from .registry import register

_NEEDS = ("output", "reference|references")


def _pairs(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[list[str]]]:
    """Positions of rows with a string output and at least one reference, and those texts.

    Same rule as :func:`references_of` (``references`` list first, else ``reference``), on plain
    lists: iterating Arrow-backed string columns element by element is slow.
    """
    n = len(frame)
    outs = frame["output"].tolist()
    many = frame["references"].tolist() if "references" in frame else [None] * n
    one = frame["reference"].tolist() if "reference" in frame else [None] * n
    pos, hyps, ref_lists = [], [], []
    for i in range(n):
        hyp = outs[i]
        # A missing output (None/NaN) is not an empty answer: leave the row NaN.
        if not isinstance(hyp, str):
            continue
        rl = many[i]
        if isinstance(rl, (list, tuple, np.ndarray)) and len(rl):
            refs = [str(r) for r in rl]
        elif isinstance(one[i], str):
            refs = [one[i]]
        else:
            continue
        pos.append(i)
        hyps.append(hyp)
        ref_lists.append(refs)
    return np.asarray(pos, dtype=np.int64), hyps, ref_lists


def _flat_pairs(frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """(row positions, hypothesis per (row, reference) pair, reference per pair, refs per row).

    Fast path for the common single-``reference`` layout; otherwise :func:`_pairs`.
    """
    has_many = "references" in frame and frame["references"].notna().any()
    if has_many or "reference" not in frame:
        pos, hyps, ref_lists = _pairs(frame)
        counts = np.fromiter((len(r) for r in ref_lists), dtype=np.int64, count=len(ref_lists))
        flat_h = [h for h, c in zip(hyps, counts) for _ in range(c)]
        return pos, flat_h, [r for rl in ref_lists for r in rl], counts
    outs, one = frame["output"].tolist(), frame["reference"].tolist()
    ok = np.fromiter((type(o) is str and type(r) is str for o, r in zip(outs, one)), dtype=bool,
                     count=len(outs))
    pos = np.flatnonzero(ok)
    if ok.all():
        return pos, outs, one, np.ones(len(pos), dtype=np.int64)
    return pos, [outs[i] for i in pos], [one[i] for i in pos], np.ones(len(pos), dtype=np.int64)


# ------------------------------------------------------------------------------------------
# BLEU / chrF through sacrebleu
# ------------------------------------------------------------------------------------------
class _Sacre(Metric):
    family = "overlap"
    needs = _NEEDS
    library = "sacrebleu"
    _n_stats: int = 0

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self._scorer_obj = None

    # subclasses: build the sacrebleu object, name the statistics
    def _build(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def _scorer(self):
        if self._scorer_obj is None:
            self._scorer_obj = self._build()
        return self._scorer_obj

    @property
    def stat_columns(self) -> list[str]:
        """Hidden per-item sufficient-statistics columns (summed for the corpus value)."""
        return [f"_{self.name}_stat_{i}" for i in range(self._stat_count())]

    def _stat_count(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _result(self, sent: np.ndarray, stats: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """The per-item frame on the score and statistics arrays themselves (no copy)."""
        return pd.DataFrame({self.name: sent, **dict(zip(self.stat_columns, stats))}, index=index,
                            copy=False)

    def sacrebleu_signature(self) -> str:
        """sacrebleu's own signature for these settings (``nrefs`` omitted: it depends on data)."""
        scorer = self._scorer
        args = dict(vars(scorer))
        args.setdefault("num_refs", 1)
        sig = type(scorer)._SIGNATURE_TYPE(args)
        sig.info["nrefs"] = None  # Signature.format() skips None
        return sig.format()

    def signature(self) -> str:
        """evalnb's signature, ``refs:native``, then ``sacrebleu:`` and sacrebleu's own signature."""
        base = super().signature()
        return f"{base}|refs:native|sacrebleu:{self.sacrebleu_signature()}"

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        """sacrebleu's segment statistics and sentence score per row, reference set by reference set.

        Rows are visited grouped by their references (:func:`row_chunks`), so sacrebleu extracts
        each distinct reference set once and only the current one is held (chrF's character n-gram
        counters take ~100 kB per reference); a repeated (output, references) pair is computed once.
        """
        from tqdm.auto import tqdm

        scorer = self._scorer
        n_stats = self._stat_count()
        stats = np.full((n_stats, len(frame)), np.nan)  # one row per statistic
        sent = np.full(len(frame), np.nan)
        preprocess, segment_stats = scorer._preprocess_segment, scorer._compute_segment_statistics
        from_stats = scorer._compute_score_from_stats
        tok_periods = 0
        cur_refs, ref_info, seen = None, None, {}
        bar = tqdm(total=len(frame), desc=self.name, disable=len(frame) < 20_000, leave=False)
        for idx, part in row_chunks(frame, by_reference="always"):
            pos, hyps, ref_lists = _pairs(part)
            for p, hyp, rl in zip(idx[pos], hyps, ref_lists):
                refs = tuple(rl)
                if refs != cur_refs:
                    cur_refs, seen = refs, {}
                    ref_info = scorer._extract_reference_info([preprocess(r) for r in refs])
                row = seen.get(hyp)
                if row is None:
                    # sacrebleu counts hypotheses ending in a tokenised period (its "force" warning)
                    if not scorer._force and hyp.endswith(" ."):
                        tok_periods += 1
                    row = seen[hyp] = segment_stats(preprocess(hyp), ref_info)
                stats[:, p] = row
                # a copy: compute_bleu's add-k smoothing mutates the lists it is given
                sent[p] = from_stats(list(row)).score
            bar.update(len(idx))
        bar.close()
        if tok_periods >= 100:
            logging.getLogger("sacrebleu").warning(
                "That's %d lines that end in a tokenized period ('.'); detokenize your data or pass "
                "force=True", tok_periods)
        return self._result(sent, stats, frame.index)

    def corpus_score(self, scores: pd.DataFrame) -> dict[str, float]:
        """Corpus value from the summed per-item statistics (= sacrebleu ``corpus_score``).

        Rows without statistics (no output or no reference) are left out.

        >>> m = evalnb.metric("bleu")                               # doctest: +SKIP
        >>> m.corpus_score(m.score(frame))                           # doctest: +SKIP
        {'bleu': 27.4...}
        """
        cols = self.stat_columns
        missing = [c for c in cols if c not in scores.columns]
        if missing:
            raise MetricError(f"{self.name}: corpus_score needs the per-item statistics columns "
                              f"{cols[0]}..{cols[-1]} (missing {missing[0]}); score with the same "
                              "metric settings and keep its hidden '_' columns")
        block = scores[cols].dropna(how="any").to_numpy()
        if block.shape[0] == 0:
            return {self.name: float("nan")}
        # float64 holds these integer counts exactly; sacrebleu sums Python ints
        sums = [int(v) for v in block.sum(axis=0)]
        return {self.name: float(self._scorer._compute_score_from_stats(sums).score)}


def _ngram_ids(tok: np.ndarray, owner_len: np.ndarray, offset: np.ndarray, order: int):
    """Integer ids of every n-gram (n = 1..order) starting at each token position (-1: none)."""
    ids = [tok]
    vocab = int(tok.max()) + 1 if len(tok) else 1
    prev = tok
    for n in range(2, order + 1):
        ok = offset <= owner_len - n          # an n-gram starts here
        cur = np.full(len(tok), -1, dtype=np.int64)
        idx = np.flatnonzero(ok)
        if len(idx):
            key = prev[idx] * vocab + tok[idx + n - 1]
            _, inv = np.unique(key, return_inverse=True)
            cur[idx] = inv
        ids.append(cur)
        prev = np.where(cur >= 0, cur, 0)
        vocab_next = int(cur.max()) + 1 if len(idx) else 1
        vocab = max(vocab, vocab_next, int(tok.max()) + 1 if len(tok) else 1)
    return ids


_FIRST_13A_RULE = (r"([\{-\~\[-\` -\&\(-\+\:-\@\/])", r" \1 ")


def _segment_preprocessor(scorer):
    """sacrebleu's BLEU ``_preprocess_segment``, with the 13a tokeniser's first rule made fast.

    That rule puts spaces around every character of one ASCII class (space and most punctuation)
    and is ~65% of BLEU's time on 50-word texts: ``re.sub`` expands its ``r' \1 '`` template once per
    match, in Python. Here the same rule is one ``str.translate`` whose table is read off sacrebleu's
    own compiled pattern; the other rules are sacrebleu's regexes and templates, unchanged. Any other
    tokeniser, or a sacrebleu whose 13a rules differ, uses sacrebleu's function itself; the tests
    compare against it on generated and real text.
    """
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    tokenizer = scorer.tokenizer
    rules = getattr(getattr(tokenizer, "_post_tokenizer", None), "_re", None)
    if type(tokenizer) is not Tokenizer13a or not rules or (rules[0][0].pattern, rules[0][1]) != _FIRST_13A_RULE:
        return scorer._preprocess_segment
    first = rules[0][0]
    table = {c: f" {chr(c)} " for c in range(128) if first.fullmatch(chr(c))}
    rest = list(rules[1:])
    lowercase = scorer.lowercase

    def preprocess(sent: str) -> str:
        if lowercase:
            sent = sent.lower()
        line = sent.rstrip()
        # Tokenizer13a.__call__, step for step
        line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
        if "&" in line:
            line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        line = f" {line} ".translate(table)
        for pattern, repl in rest:
            line = pattern.sub(repl, line)
        return " ".join(line.split())

    return preprocess


def _bleu_statistics(scorer, hyps: list[str], ref_lists: list[list[str]], order: int) -> np.ndarray:
    """sacrebleu's per-segment BLEU statistics for many rows: [hyp_len, ref_len, correct.., total..]."""
    n_rows = len(hyps)
    ref_keys = [tuple(r) for r in ref_lists]
    set_codes, set_uniques = pd.factorize(pd.Series(ref_keys, dtype=object))
    set_refs = [list(k) for k in set_uniques]
    texts = hyps + [r for refs in set_refs for r in refs]
    codes, uniques = pd.factorize(np.asarray(texts, dtype=object))
    preprocess = _segment_preprocessor(scorer)  # sacrebleu's lowercasing + tokeniser
    toks = [preprocess(t).split() for t in uniques]
    lens = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
    flat = np.asarray([w for t in toks for w in t], dtype=object)
    tok = pd.factorize(flat)[0].astype(np.int64) if len(flat) else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(toks), dtype=np.int64), lens)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    offset = np.arange(len(tok), dtype=np.int64) - starts[owner]
    gram_ids = _ngram_ids(tok, lens[owner], offset, order)

    hyp_str = codes[:n_rows]
    ref_counts = np.fromiter((len(r) for r in set_refs), dtype=np.int64, count=len(set_refs))
    ref_str = codes[n_rows:]                                   # flattened refs of each set
    ref_set = np.repeat(np.arange(len(set_refs), dtype=np.int64), ref_counts)

    # closest reference length: smallest |hyp_len - ref_len|, ties to the shorter reference
    hyp_len = lens[hyp_str]
    row_of_ref = np.repeat(np.arange(n_rows), ref_counts[set_codes])
    set_first = np.concatenate([[0], np.cumsum(ref_counts)[:-1]])
    ref_pos = np.arange(len(row_of_ref)) - np.repeat(np.cumsum(ref_counts[set_codes]) - ref_counts[set_codes],
                                                      ref_counts[set_codes])
    r_len = lens[ref_str[set_first[set_codes][row_of_ref] + ref_pos]]
    diff = np.abs(hyp_len[row_of_ref] - r_len)
    best = np.lexsort((r_len, diff, row_of_ref))
    first = np.concatenate([[True], row_of_ref[best][1:] != row_of_ref[best][:-1]])
    closest = np.empty(n_rows, dtype=np.int64)
    closest[row_of_ref[best][first]] = r_len[best][first]

    out = np.zeros((n_rows, 2 + 2 * order), dtype=np.int64)
    out[:, 0], out[:, 1] = hyp_len, closest
    for n in range(1, order + 1):
        gid = gram_ids[n - 1]
        valid = gid >= 0
        g_owner, g_id = owner[valid], gid[valid]
        width = int(g_id.max()) + 1 if len(g_id) else 1
        # per distinct string: (string, gram) -> count
        skey, scount = np.unique(g_owner * width + g_id, return_counts=True)
        s_str = skey // width
        s_start = np.searchsorted(s_str, np.arange(len(toks)), "left")
        s_end = np.searchsorted(s_str, np.arange(len(toks)), "right")
        # per reference set: (set, gram) -> max count over its references
        rs, rp = _expand_ranges(s_start[ref_str], s_end[ref_str])
        rkey = ref_set[rs] * width + skey[rp] % width
        order_r = np.argsort(rkey, kind="stable")
        rkey, rcount = rkey[order_r], scount[rp][order_r]
        rk_first = np.concatenate([[True], rkey[1:] != rkey[:-1]]) if len(rkey) else np.zeros(0, bool)
        ukey = rkey[rk_first]
        umax = np.maximum.reduceat(rcount, np.flatnonzero(rk_first)) if len(rkey) else rcount
        # hypothesis n-grams of each row, clipped by the row's reference-set counts
        hs, hp = _expand_ranges(s_start[hyp_str], s_end[hyp_str])
        hkey = set_codes[hs] * width + skey[hp] % width
        if len(ukey):
            at = np.minimum(np.searchsorted(ukey, hkey), len(ukey) - 1)
            hit = ukey[at] == hkey
            correct = np.bincount(hs[hit], weights=np.minimum(scount[hp][hit], umax[at[hit]]),
                                  minlength=n_rows)
        else:
            correct = np.zeros(n_rows)
        out[:, 1 + n] = correct.astype(np.int64)
        out[:, 1 + order + n] = np.maximum(hyp_len - n + 1, 0)
    return out


def _dense_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Small dense integer ids (0..V-1) for non-negative integer values, in O(n) when they are small."""
    if not len(values):
        return values.astype(np.int64), 1
    top = int(values.max())
    if top < 1 << 22:                        # code points: a lookup table beats a sort
        seen = np.zeros(top + 1, dtype=np.int64)
        seen[values] = 1
        table = np.cumsum(seen) - 1
        return table[values], int(table[-1]) + 1
    ids, inv = np.unique(values, return_inverse=True)
    return inv.astype(np.int64), len(ids)


def _gram_counts(tok: np.ndarray, lens: np.ndarray, order: int):
    """Per string and order n = 1..order: the sorted distinct (string, n-gram) keys and their counts.

    ``tok`` holds every string's tokens back to back (dense ids), ``lens`` each string's token count.
    Yields ``(n, keys, counts, width)``; a key is ``string * width + gram``. An n-gram's id is its tokens
    as a base-V number while that fits in 62 bits with the string id in front, else the distinct
    (n-1)-gram ids are renumbered first (np.unique), which keeps every key exact.
    """
    tok, vocab = _dense_codes(tok)
    n_strings = len(lens)
    owner = np.repeat(np.arange(n_strings, dtype=np.int64), lens)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    room = lens[owner] - (np.arange(len(tok), dtype=np.int64) - starts[owner])  # tokens left from here
    gram, width = tok, vocab
    limit = float(1 << 62) / max(n_strings, 1)
    for n in range(1, order + 1):
        if n > 1:
            keep = room >= n
            if float(width) * vocab >= limit:        # renumber the (n-1)-grams still needed
                _, inv = np.unique(gram[keep[: len(gram)]], return_inverse=True)
                compact = np.zeros(len(gram), dtype=np.int64)
                compact[keep[: len(gram)]] = inv
                gram, width = compact, int(inv.max()) + 1 if len(inv) else 1
            nxt = np.zeros(len(gram), dtype=np.int64)
            nxt[keep] = gram[keep] * vocab + tok[np.flatnonzero(keep) + n - 1]
            gram, width = nxt, width * vocab
        keep = room >= n
        keys = np.sort(owner[keep] * width + gram[keep])
        if len(keys):
            first = np.concatenate([[True], keys[1:] != keys[:-1]])
            starts_k = np.flatnonzero(first)
            counts = np.diff(np.append(starts_k, len(keys)))
            keys = keys[starts_k]
        else:
            counts = np.zeros(0, dtype=np.int64)
        yield n, keys, counts, width


def _chrf_statistics(scorer, hyps: list[str], ref_lists: list[list[str]]):
    """sacrebleu's chrF segment statistics and sentence scores for many rows, counted column-wise.

    Returns ``(stats, score)``: ``stats`` is (rows, 3 * orders) of [hyp, ref, match] per order (character
    orders first, then word orders), from the reference with the best sentence f-score (the first on a tie,
    as ``CHRF._compute_segment_statistics``); ``score`` is that f-score.
    """
    n_rows = len(hyps)
    char_order, word_order = int(scorer.char_order), int(scorer.word_order)
    n_refs = np.fromiter((len(r) for r in ref_lists), dtype=np.int64, count=n_rows)
    texts = pd.Series(hyps + [r for rl in ref_lists for r in rl], dtype=object)
    codes, uniques = pd.factorize(texts)
    prep = [scorer._preprocess_segment(t) for t in uniques]
    hyp_str = codes[:n_rows].astype(np.int64)
    pair_row = np.repeat(np.arange(n_rows, dtype=np.int64), n_refs)
    pair_hyp, pair_ref = hyp_str[pair_row], codes[n_rows:].astype(np.int64)
    n_pairs = len(pair_row)

    sides = []       # (token array, lengths, orders) per kind of n-gram
    chars = prep if scorer.whitespace else ["".join(s.split()) for s in prep]
    clens = np.fromiter((len(s) for s in chars), dtype=np.int64, count=len(chars))
    cps = np.frombuffer("".join(chars).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    sides.append((cps, clens, char_order))
    if word_order > 0:
        words = [scorer._remove_punctuation(s) for s in prep]
        wlens = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
        flat = [w for ws in words for w in ws]
        wtok = pd.factorize(pd.Series(flat, dtype=object))[0].astype(np.int64) if flat else np.zeros(0, np.int64)
        sides.append((wtok, wlens, word_order))

    stats = np.zeros((n_pairs, 3 * (char_order + word_order)), dtype=np.int64)
    # pairs sorted by reference string: each pair's hypothesis grams come sorted, so the lookup keys
    # are sorted too and the search walks the key table in order
    by_ref = np.argsort(pair_ref, kind="stable")
    col = 0
    for tok, lens, order in sides:
        for n, keys, counts, width in _gram_counts(tok, lens, order):
            total = np.maximum(lens - n + 1, 0)
            owner_k = keys // width
            s_start = np.searchsorted(owner_k, np.arange(len(lens)), "left")
            s_end = np.searchsorted(owner_k, np.arange(len(lens)), "right")
            hp = pair_hyp[by_ref]
            which, entry = _expand_ranges(s_start[hp], s_end[hp])
            query = pair_ref[by_ref][which] * width + (keys[entry] - owner_k[entry] * width)
            at = np.minimum(np.searchsorted(keys, query), max(len(keys) - 1, 0))
            hit = keys[at] == query if len(keys) else np.zeros(len(query), dtype=bool)
            # float64 holds these integer counts exactly
            match = np.bincount(by_ref[which[hit]], weights=np.minimum(counts[entry[hit]], counts[at[hit]]),
                                minlength=n_pairs).astype(np.int64)
            ref_total = total[pair_ref]
            stats[:, col] = np.where(ref_total > 0, total[pair_hyp], 0)   # no ref n-grams: no hits
            stats[:, col + 1] = ref_total
            stats[:, col + 2] = match
            col += 3

    f = _chrf_f_score(stats, char_order + word_order, scorer.beta, scorer.eps_smoothing)
    # best reference per row: highest f-score, the first one on a tie (sacrebleu's strict ">")
    pick = np.lexsort((np.arange(n_pairs), -f, pair_row))
    first = np.concatenate([[True], pair_row[pick][1:] != pair_row[pick][:-1]]) if n_pairs else pick.astype(bool)
    best = pick[first]
    return stats[best], f[best]


def _chrf_f_score(stats: np.ndarray, order: int, beta: float, eps_smoothing: bool) -> np.ndarray:
    """``CHRF._compute_f_score`` on every row at once, operation for operation (identical floats)."""
    eps = 1e-16
    factor = beta ** 2
    rows = stats.shape[0]
    score = np.zeros(rows)
    avg_prec, avg_rec = np.zeros(rows), np.zeros(rows)
    effective = np.zeros(rows, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(order):
            n_hyp, n_ref, n_match = (stats[:, 3 * i + k].astype(np.float64) for k in range(3))
            prec = np.where(n_hyp > 0, n_match / n_hyp, eps)
            rec = np.where(n_ref > 0, n_match / n_ref, eps)
            denom = factor * prec + rec
            score = score + np.where(denom > 0, (1 + factor) * prec * rec / denom, eps)
            both = (n_hyp > 0) & (n_ref > 0)
            avg_prec = np.where(both, avg_prec + prec, avg_prec)
            avg_rec = np.where(both, avg_rec + rec, avg_rec)
            effective = effective + both
        if eps_smoothing:
            return 100 * score / order
        avg_prec = np.where(effective > 0, avg_prec / effective, 0.0)
        avg_rec = np.where(effective > 0, avg_rec / effective, 0.0)
        total = avg_prec + avg_rec
        out = (1 + factor) * avg_prec * avg_rec
        out = out / ((factor * avg_prec) + avg_rec)
        return np.where(total != 0, 100 * out, 0.0)


def _expand_ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i repeated, positions starts[i]..ends[i]-1) for every i."""
    n = ends - starts
    which = np.repeat(np.arange(len(starts), dtype=np.int64), n)
    base = np.repeat(starts - (np.cumsum(n) - n), n)
    return which, np.arange(int(n.sum()), dtype=np.int64) + base


@register
class Bleu(_Sacre):
    """Sentence BLEU per item and corpus BLEU from summed n-gram statistics (sacrebleu)."""

    name = "bleu"
    description = "sacreBLEU (0-100): sentence BLEU per item, corpus BLEU from summed n-gram stats"
    outputs = (Output("bleu", CORPUS, True, 0.0, 100.0),)
    defaults = {"lowercase": False, "force": False, "tokenize": "13a", "smooth_method": "exp",
                "smooth_value": None, "max_ngram_order": 4, "effective_order": True,
                "trg_lang": ""}

    def _build(self):
        from sacrebleu.metrics import BLEU

        s = self.settings
        if s["smooth_method"] not in BLEU.SMOOTH_DEFAULTS:
            raise MetricError(f"bleu: unknown smooth_method {s['smooth_method']!r}; "
                              f"choose one of {', '.join(BLEU.SMOOTH_DEFAULTS)}")
        if s["tokenize"] is not None and s["tokenize"] not in BLEU.TOKENIZERS:
            raise MetricError(f"bleu: unknown tokenize {s['tokenize']!r}; "
                              f"choose one of {', '.join(BLEU.TOKENIZERS)}")
        return BLEU(lowercase=s["lowercase"], force=s["force"], tokenize=s["tokenize"],
                    smooth_method=s["smooth_method"], smooth_value=s["smooth_value"],
                    max_ngram_order=int(s["max_ngram_order"]),
                    effective_order=s["effective_order"], trg_lang=s["trg_lang"])

    def _stat_count(self) -> int:
        return 2 + 2 * int(self.settings["max_ngram_order"])

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Sentence BLEU and n-gram statistics for every row, counted column-wise.

        Tokenisation is sacrebleu's (``_preprocess_segment``), once per distinct string; the
        statistics sacrebleu's ``_compute_segment_statistics`` returns (hypothesis length, closest
        reference length, clipped n-gram matches, n-gram totals; the reference count of an n-gram
        is its max over the references) are counted for all rows at once with sorted integer keys,
        reference n-grams once per distinct reference set; the score is sacrebleu's
        ``compute_bleu`` on those statistics. The tests assert equality with ``sentence_score``
        and ``corpus_score``. Beyond ``CHUNK_ROWS / 2`` rows this runs chunk by chunk, rows grouped
        by their references (:func:`row_chunks`), so memory stays flat.
        """
        scorer = self._scorer
        order = int(self.settings["max_ngram_order"])
        from_stats = scorer._compute_score_from_stats
        stats = np.full((self._stat_count(), len(frame)), np.nan)  # one row per statistic
        sent = np.full(len(frame), np.nan)
        tok_periods = 0
        # half-size chunks: the token and n-gram arrays take ~300 bytes per token
        for idx, part in row_chunks(frame, _streaming.CHUNK_ROWS // 2, by_reference=True):
            pos, hyps, ref_lists = _pairs(part)
            if not len(pos):
                continue
            if not scorer._force:
                tok_periods += sum(1 for h in hyps if h.endswith(" ."))
            block = _bleu_statistics(scorer, hyps, ref_lists, order)
            rows = idx[pos]
            stats[:, rows] = block.T
            sent[rows] = [from_stats(row).score for row in block.tolist()]
        if tok_periods >= 100:
            logging.getLogger("sacrebleu").warning(
                "That's %d lines that end in a tokenized period ('.'); detokenize your data "
                "or pass force=True", tok_periods)
        return self._result(sent, stats, frame.index)


@register
class Chrf(_Sacre):
    """Sentence chrF per item and corpus chrF from summed character n-gram statistics."""

    name = "chrf"
    description = "sacreBLEU chrF (0-100; word_order=2 gives chrF++), corpus value from summed stats"
    outputs = (Output("chrf", CORPUS, True, 0.0, 100.0),)
    defaults = {"char_order": 6, "word_order": 0, "beta": 2, "lowercase": False,
                "whitespace": False, "eps_smoothing": False}

    def _build(self):
        from sacrebleu.metrics import CHRF

        s = self.settings
        return CHRF(char_order=int(s["char_order"]), word_order=int(s["word_order"]),
                    beta=s["beta"], lowercase=s["lowercase"], whitespace=s["whitespace"],
                    eps_smoothing=s["eps_smoothing"])

    def _stat_count(self) -> int:
        return 3 * (int(self.settings["char_order"]) + int(self.settings["word_order"]))

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Sentence chrF and its [hyp, ref, match] statistics per order for every row, counted column-wise.

        sacrebleu counts n-grams with one ``Counter`` per string and order in Python (~2,000 rows/s);
        here every string's character (and, for chrF++, word) n-grams become integer keys, counted with
        one sort per order for all rows of a chunk, and each hypothesis is matched against each of its
        references with one sorted search. The statistics and the f-score (computed operation for
        operation as ``CHRF._compute_f_score``, so the floats are identical) are sacrebleu's; the tests
        assert equality with ``sentence_score`` and ``corpus_score``, multi-reference ties included.
        """
        scorer = self._scorer
        stats = np.full((self._stat_count(), len(frame)), np.nan)  # one row per statistic
        sent = np.full(len(frame), np.nan)
        tok_periods = 0
        for idx, part in row_chunks(frame, _streaming.CHUNK_ROWS // 2, by_reference=True):
            pos, hyps, ref_lists = _pairs(part)
            if not len(pos):
                continue
            if not getattr(scorer, "_force", True):
                tok_periods += sum(1 for h in hyps if h.endswith(" ."))
            block, score = _chrf_statistics(scorer, hyps, ref_lists)
            rows = idx[pos]
            stats[:, rows] = block.T
            sent[rows] = score
        if tok_periods >= 100:
            logging.getLogger("sacrebleu").warning(
                "That's %d lines that end in a tokenized period ('.'); detokenize your data or pass "
                "force=True", tok_periods)
        return self._result(sent, stats, frame.index)


# ------------------------------------------------------------------------------------------
# ROUGE with rouge-score semantics
# ------------------------------------------------------------------------------------------
_HAS_TOKEN = re.compile(r"[a-z0-9]")
# evalnb's deterministic sentence rule for rougeLsum: a sentence ends at . ! or ? (optionally
# followed by closing quotes/brackets) before whitespace.
_SENT_END = re.compile(r"(?<=[.!?])([\"')\]]*)\s+")


_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_ROUGE_PASS = SharedPass()


def _rouge_backend() -> str:
    try:
        import rouge_score_rs  # noqa: F401
        return "rouge-score-rs"
    except ImportError:
        return "rouge-score"


def split_sentences_punct(text: str) -> str:
    """Put each sentence on its own line (evalnb's ``split_sentences="punct"`` rule for rougeLsum).

    >>> split_sentences_punct("It rains. We stay in! Ok")
    'It rains.\\nWe stay in!\\nOk'
    """
    return _SENT_END.sub(lambda m: m.group(1) + "\n", text.strip())


class _Rouge(Metric):
    family = "overlap"
    needs = _NEEDS
    rouge_type: str = ""
    defaults = {"use_stemmer": True, "multi_ref": "mean", "tokenizer": "default"}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        s = self.settings
        if s["multi_ref"] not in ("mean", "max"):
            raise MetricError(f"{self.name}: multi_ref must be 'mean' or 'max', not {s['multi_ref']!r}")
        if s["tokenizer"] not in ("default", "unicode"):
            raise MetricError(f"{self.name}: tokenizer must be 'default' (rouge-score's, ASCII only) "
                              f"or 'unicode' (UAX #29 words), not {s['tokenizer']!r}")
        if s.get("split_sentences", "none") not in ("none", "punct", "nltk"):
            raise MetricError(f"{self.name}: split_sentences must be 'none', 'punct' or 'nltk', "
                              f"not {s['split_sentences']!r}")
        self.backend = _rouge_backend()
        if s["tokenizer"] == "unicode" and self.backend != "rouge-score-rs":
            raise MetricError(f"{self.name}: tokenizer='unicode' needs rouge-score-rs; install it with: "
                              "pip install rouge-score-rs")
        # instance attribute: the signature records the library that actually computes
        self.library = self.backend

    def signature(self) -> str:
        """Adds the tokenizer profile and the semantics (rouge-score version) being reproduced."""
        profile = "unicode-v1" if self.settings["tokenizer"] == "unicode" else "rouge-score"
        return (f"{super().signature()}|tok:{profile}"
                f"|semantics:rouge-score-{library_version('rouge-score')}")

    def _scorer(self, types: list[str]):
        s = self.settings
        split = s.get("split_sentences", "none") == "nltk"
        if self.backend == "rouge-score-rs":
            from rouge_score_rs import RougeScorer, tokenizers

            tok = tokenizers.UnicodeTokenizer() if s["tokenizer"] == "unicode" else None
            return RougeScorer(types, use_stemmer=s["use_stemmer"], split_summaries=split,
                               tokenizer=tok)
        from rouge_score.rouge_scorer import RougeScorer

        return RougeScorer(types, use_stemmer=s["use_stemmer"], split_summaries=split)

    def _dropped(self, texts: list[str]) -> set[int]:
        """Hashes of the texts rouge-score's tokenizer empties (for the warning)."""
        if self.settings["tokenizer"] != "default":
            return set()
        # rouge-score lower-cases and keeps only [a-z0-9] runs: other scripts vanish. Count texts
        # with letters or digits of which none survive (punctuation-only text is not "dropped":
        # it has nothing to score in any tokenizer).
        return {hash(t) for t in set(texts)
                if not _HAS_TOKEN.search(t.lower()) and any(c.isalnum() for c in t)}

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        s = self.settings
        split = s.get("split_sentences", "none")
        # ``score()`` runs rouge1, rouge2, rougeL and rougeLsum one after the other on the same
        # texts; one batch call for the four costs about half of four calls (tokenising and
        # Porter stemming dominate), so the first call computes them all and the others take
        # their part. The key fingerprints the texts instead of holding them.
        key = (self.backend, s["use_stemmer"], s["tokenizer"], s["multi_ref"], split,
               text_digest(frame))
        p, r, f = _ROUGE_PASS.take(key, self.rouge_type, lambda: self._score_frame(frame, split))
        t = self.rouge_type
        return pd.DataFrame({t: f, f"{t}_precision": p, f"{t}_recall": r}, index=frame.index,
                            copy=False)

    def _score_frame(self, frame: pd.DataFrame, split: str) -> dict[str, np.ndarray]:
        """Per-row P, R and F rows (NaN without output or reference) of every type one pass gives,
        streamed over :func:`row_chunks`."""
        from tqdm.auto import tqdm

        types = _ROUGE_TYPES if split == "none" else (self.rouge_type,)
        out = {t: np.full((3, len(frame)), np.nan) for t in types}
        batched = self.backend == "rouge-score-rs"
        size = None if batched else 2_000  # rouge-score's Python loop: progress every 2,000
        scorer, dropped = None, set()
        bar = tqdm(total=len(frame), desc="rouge", leave=False,
                   disable=len(frame) <= (size or _streaming.CHUNK_ROWS))
        for idx, part in row_chunks(frame, size):
            pos, flat_hyps, flat_refs, counts = _flat_pairs(part)
            if split == "punct":
                flat_refs = [split_sentences_punct(t) for t in flat_refs]
                flat_hyps = [split_sentences_punct(t) for t in flat_hyps]
            dropped |= self._dropped(flat_refs + flat_hyps)
            if len(pos):
                scorer = scorer or self._scorer(list(types))
                if batched:
                    res = scorer.score_batch(flat_refs, flat_hyps)
                else:
                    res = [scorer.score(x, y) for x, y in zip(flat_refs, flat_hyps)]
                for t in types:
                    prf = np.array([tuple(d[t]) for d in res], dtype=np.float64).reshape(-1, 3)
                    out[t][:, idx[pos]] = self._aggregate(prf, counts).T
            bar.update(len(idx))
        bar.close()
        if dropped:
            warnings.warn(
                f"rouge: rouge-score's tokenizer found no tokens in {len(dropped)} text(s) with "
                "letters (it keeps only a-z and 0-9, so non-Latin text scores 0); pass "
                "tokenizer='unicode' for Unicode words (not comparable with rouge-score numbers)",
                TokenizerWarning, stacklevel=6)
        return out

    def _aggregate(self, prf: np.ndarray, counts: np.ndarray) -> np.ndarray:
        if len(counts) == 0:
            return np.zeros((0, 3))
        if (counts == 1).all():
            return prf
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        if self.settings["multi_ref"] == "mean":
            return np.add.reduceat(prf, starts, axis=0) / counts[:, None]
        # "max": the reference with the highest F (first on ties) gives P, R and F, exactly as
        # rouge-score's score_multi
        out = np.empty((len(counts), 3))
        f = prf[:, 2]
        for i, (a, c) in enumerate(zip(starts, counts)):
            out[i] = prf[a + int(np.argmax(f[a:a + c]))]
        return out


@register
class Rouge1(_Rouge):
    name = rouge_type = "rouge1"
    description = "ROUGE-1 unigram overlap F (rouge-score semantics), plus precision and recall"
    outputs = (Output("rouge1", MEAN), Output("rouge1_precision", MEAN), Output("rouge1_recall", MEAN))


@register
class Rouge2(_Rouge):
    name = rouge_type = "rouge2"
    description = "ROUGE-2 bigram overlap F (rouge-score semantics), plus precision and recall"
    outputs = (Output("rouge2", MEAN), Output("rouge2_precision", MEAN), Output("rouge2_recall", MEAN))


@register
class RougeL(_Rouge):
    name = rouge_type = "rougeL"
    description = "ROUGE-L longest common subsequence F (rouge-score semantics), plus P and R"
    outputs = (Output("rougeL", MEAN), Output("rougeL_precision", MEAN), Output("rougeL_recall", MEAN))


@register
class RougeLsum(_Rouge):
    name = rouge_type = "rougeLsum"
    description = "ROUGE-Lsum summary-level LCS F over newline-separated sentences, plus P and R"
    outputs = (Output("rougeLsum", MEAN), Output("rougeLsum_precision", MEAN),
               Output("rougeLsum_recall", MEAN))
    defaults = {**_Rouge.defaults, "split_sentences": "none"}
