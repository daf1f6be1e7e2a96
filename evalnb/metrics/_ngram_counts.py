"""Column-wise n-gram counting for BLEU and chrF: sacrebleu's segment statistics for a whole chunk
of rows at once.

Instead of one ``Counter`` per string and order, every string's tokens (BLEU: sacrebleu's
tokeniser; chrF: characters and, for chrF++, words) become integer ids, n-grams become integer keys,
and the counts, clipped matches and reference maxima are sorts, searches and bincounts in numpy.
The statistics are sacrebleu's exactly and :func:`_chrf_f_score` is ``CHRF._compute_f_score``
operation for operation, so the floats are identical (tests/test_metrics_overlap.py).
The metric classes that use them are in :mod:`evalnb.metrics.sacre`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


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
