"""Code-generation metrics: ``pass@k`` (Chen et al., 2021) and ``pass_rate``, run in the sandbox.

Each eval row is one *sample*: ``output`` holds the candidate program and ``tests`` the item's
assert statements. A *task* is one ``(run_id or model, item_id)``; its ``n`` is the number of its
samples that got a verdict (passed, failed, timeout, oom). Samples whose run says nothing about
the candidate (``sandbox_error``, ``infra_timeout``) are left out of ``n`` and listed.

Per-item layout of ``pass@k`` (so that a plain MEAN over the column is the mean over tasks, the
number HumanEval reports): the task's value sits on its first sample row (lowest ``sample_id``);
the task's other rows are NaN. ``pass_rate`` is per sample (1/0; PROPORTION).
"""
from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._display import ResultDisplay
from .._errors import MetricError, SmallSampleWarning
from .base import MEAN, PROPORTION, Metric, Output
from .registry import register
from .sandbox import VERDICTS, ExecutionResult, Sandbox

_SANDBOX_SETTINGS = ("timeout", "memory_mb", "max_output_bytes", "max_file_mb", "max_open_files",
                     "max_processes", "isolation", "workers", "strict")
_NOT_IN_SIGNATURE = ("workers", "progress")   # change speed, never numbers


def pass_at_k(n: int | np.ndarray, c: int | np.ndarray, k: int) -> float | np.ndarray:
    """Unbiased pass@k estimator of Chen et al. (2021): ``1 - C(n-c, k) / C(n, k)``.

    Computed in the numerically stable product form of the HumanEval repository,
    ``1 - prod_{i=n-c+1}^{n} (1 - k/i)``, which stays finite for n = 200 and beyond.

    Parameters
    ----------
    n : samples per task (scalar or array); must be >= k.
    c : correct samples per task (0 <= c <= n).
    k : the k in pass@k.

    Examples
    --------
    >>> round(float(pass_at_k(5, 1, 1)), 12)
    0.2
    >>> round(float(pass_at_k(200, 1, 10)), 12)   # P(the one correct sample is among 10 drawn)
    0.05
    """
    n_arr, c_arr = np.asarray(n, dtype=np.int64), np.asarray(c, dtype=np.int64)
    if np.any(n_arr < k) or np.any(c_arr < 0) or np.any(c_arr > n_arr) or k < 1:
        raise MetricError(f"pass@k needs 1 <= k <= n and 0 <= c <= n; got n={n}, c={c}, k={k}")

    def one(ni: int, ci: int) -> float:
        if ni - ci < k:
            return 1.0
        return float(1.0 - np.prod(1.0 - k / np.arange(ni - ci + 1, ni + 1)))

    if n_arr.ndim == 0 and c_arr.ndim == 0:
        return one(int(n_arr), int(c_arr))
    n_b, c_b = np.broadcast_arrays(n_arr, c_arr)
    return np.array([one(int(a), int(b)) for a, b in zip(n_b.ravel(), c_b.ravel())]).reshape(n_b.shape)


def pass_at_k_table(outcomes: pd.DataFrame, k: int, *, group: Sequence[str] = ("run", "item_id"),
                    require_any: bool = False) -> pd.DataFrame:
    """Per-task n, c and pass@k from per-sample outcomes.

    Parameters
    ----------
    outcomes : one row per sample with the ``group`` columns and ``passed`` (1, 0, or NaN when the
        sample has no verdict: sandbox_error / infra_timeout).
    k : the k in pass@k.
    group : the columns that identify a task.
    require_any : raise :class:`MetricError` when no task has n >= k.

    Returns
    -------
    DataFrame: group columns, ``samples`` (rows), ``n`` (with a verdict), ``c`` (passed),
    ``pass@k``, and ``status`` (``ok`` or ``excluded: ...``). Tasks with n < k are listed with
    NaN and their reason -- never silently dropped (docs/threat-model.md X19).

    Examples
    --------
    >>> df = pd.DataFrame({"run": "m", "item_id": ["a"] * 3, "passed": [1, 0, 0]})
    >>> pass_at_k_table(df, k=1)[["n", "c", "pass@1"]].round(3).to_dict("records")
    [{'n': 3, 'c': 1, 'pass@1': 0.333}]
    """
    group = list(group)
    col = f"pass@{k}"
    g = outcomes.groupby(group, sort=True, dropna=False)["passed"]
    table = pd.DataFrame({"samples": g.size(), "n": g.count(), "c": g.sum(min_count=0)}).reset_index()
    table["n"] = table["n"].astype(int)
    table["c"] = table["c"].fillna(0).astype(int)
    ok = table["n"] >= k
    table[col] = np.nan
    if ok.any():
        table.loc[ok, col] = pass_at_k(table.loc[ok, "n"].to_numpy(), table.loc[ok, "c"].to_numpy(), k)
    no_verdict = table["samples"] - table["n"]
    table["status"] = "ok"
    for i in table.index[~ok]:
        why = f"excluded: n={table.at[i, 'n']} < k={k}"
        if no_verdict[i]:
            why += f" ({no_verdict[i]} of {table.at[i, 'samples']} samples had no verdict)"
        table.at[i, "status"] = why
    if require_any and not ok.any():
        raise MetricError(f"not computable: every task has fewer than k={k} samples with a verdict "
                          f"(largest n = {int(table['n'].max()) if len(table) else 0}); lower k or add samples")
    return table


@dataclass(frozen=True)
class Execution(ResultDisplay):
    """Per-sample sandbox outcomes for the code rows of an eval frame.

    Attributes
    ----------
    frame : keys (run/model, item_id, sample_id where present) + status, passed (1/0/NaN),
        duration_s, output_truncated, detail; index = the eval frame's index of each code row.
    results : the raw :class:`ExecutionResult` per row (same order).
    sandbox : the settings used.
    """

    frame: pd.DataFrame
    results: tuple[ExecutionResult, ...] = field(repr=False)
    sandbox: Sandbox

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def summary(self) -> str:
        counts = self.frame["status"].value_counts().reindex(
            ["passed", "failed", "timeout", "oom", "sandbox_error", "infra_timeout"], fill_value=0)
        parts = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        trunc = int(self.frame["output_truncated"].sum())
        return f"{len(self.frame)} samples: {parts}; output truncated in {trunc}"

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.summary())}</p>" + self.frame.head(20).to_html(escape=True)


_cache: dict[tuple[str, str, str, str | None], ExecutionResult] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 200_000


def _task_key(frame: pd.DataFrame) -> pd.Series:
    if "run_id" in frame and frame["run_id"].notna().all():
        return frame["run_id"].astype(str)
    if "model" in frame:
        return frame["model"].astype(str)
    return pd.Series("run", index=frame.index)


def run_code_tests(data: Any, *, progress: bool = True, **settings: Any) -> Execution:
    """Run every row's ``output`` against its ``tests`` in the sandbox.

    Rows without tests are skipped. An ``entry_point`` column, where present, names the function
    the tests may use (the tests see nothing else of the candidate). Results are cached in-process by (sandbox settings, code,
    tests), so scoring pass@1, pass@5 and pass_rate on the same rows runs each sample once;
    sandbox_error and infra_timeout are never cached.

    Parameters
    ----------
    data : Runs, Scores or a DataFrame with ``output`` and ``tests``.
    progress : show a tqdm bar.
    **settings : :class:`~evalnb.metrics.sandbox.Sandbox` settings (timeout, memory_mb, isolation, ...).

    Examples
    --------
    >>> ex = run_code_tests(runs, timeout=5)          # doctest: +SKIP
    >>> print(ex.summary())                           # doctest: +SKIP
    1200 samples: passed 700, failed 480, timeout 20; output truncated in 0
    """
    frame = data.df if hasattr(data, "df") else data
    if "tests" not in frame or "output" not in frame:
        raise MetricError("not computable: code execution needs the columns output and tests")
    rows = frame[frame["tests"].notna() & (frame["tests"].astype(str).str.strip() != "")]
    if rows.empty:
        raise MetricError("not computable: no row has tests")
    box = Sandbox(**settings)
    sig = box.signature()
    codes = ["" if pd.isna(c) else str(c) for c in rows["output"]]
    tests = [str(t) for t in rows["tests"]]
    # An optional entry_point column (HumanEval's): the tests then see only that name of the candidate.
    entries = ([None if pd.isna(e) or not str(e).strip() else str(e).strip() for e in rows["entry_point"]]
               if "entry_point" in rows else [None] * len(rows))
    keys = [(sig, c, t, e) for c, t, e in zip(codes, tests, entries)]
    with _cache_lock:
        known = {key: _cache[key] for key in keys if key in _cache}
    todo = list(dict.fromkeys(key for key in keys if key not in known))
    fresh = box.run_many([(c, t, e) for _, c, t, e in todo], progress=progress, desc="pass@k sandbox") if todo else []
    with _cache_lock:
        if len(_cache) > _CACHE_MAX:
            _cache.clear()
        for key, res in zip(todo, fresh):
            if res.status in VERDICTS:
                _cache[key] = res
    known.update(zip(todo, fresh))
    results = tuple(known[key] for key in keys)
    out = pd.DataFrame(index=rows.index)
    out["run"] = _task_key(rows)
    out["item_id"] = rows["item_id"].astype(str) if "item_id" in rows else rows.index.astype(str)
    if "sample_id" in rows:
        out["sample_id"] = rows["sample_id"]
    out["status"] = [r.status for r in results]
    out["passed"] = [1.0 if r.status == "passed" else 0.0 if r.status in VERDICTS else np.nan for r in results]
    out["duration_s"] = [r.duration_s for r in results]
    out["output_truncated"] = [r.output_truncated for r in results]
    out["detail"] = [r.detail for r in results]
    return Execution(out, results, box)


class _CodeMetric(Metric):
    family = "code"
    needs = ("output", "tests")
    library = None

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        self.execution: Execution | None = None

    def signature(self) -> str:
        hidden = {k: self.settings.pop(k) for k in _NOT_IN_SIGNATURE if k in self.settings}
        try:
            return super().signature()
        finally:
            self.settings.update(hidden)

    def _execute(self, frame: pd.DataFrame) -> Execution:
        sandbox = {k: self.settings[k] for k in _SANDBOX_SETTINGS}
        self.execution = run_code_tests(frame, progress=self.settings["progress"], **sandbox)
        return self.execution


_DEFAULTS = {"timeout": 5.0, "memory_mb": 1024, "max_output_bytes": 65536, "max_file_mb": 16,
             "max_open_files": 256, "max_processes": 64, "isolation": "namespaces", "workers": None,
             "strict": True, "progress": True}


@register
class PassAtK(_CodeMetric):
    """pass@k over n samples per task (unbiased estimator; value on each task's first sample row).

    After scoring, ``metric.per_task`` holds n, c, pass@k and status per task, ``metric.exclusions``
    the tasks left out (n < k), and ``metric.execution`` the per-sample sandbox outcomes.

    Examples
    --------
    >>> m = evalnb.metric("pass@5", timeout=5)          # doctest: +SKIP
    >>> evalnb.score(runs, [m]).df["pass@5"].mean()     # doctest: +SKIP
    """

    name = "pass@k"
    description = "pass@k (Chen et al. 2021, unbiased) running output against tests in a sandbox"
    outputs = (Output("pass@k", MEAN),)
    defaults = {"k": 1, **_DEFAULTS}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        k = self.settings["k"]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise MetricError(f"pass@k needs an integer k >= 1, not {k!r}")
        self.settings["k"] = int(k)
        self.name = f"pass@{int(k)}"
        self.outputs = (Output(self.name, MEAN),)
        self.per_task: pd.DataFrame | None = None
        self.exclusions: pd.DataFrame | None = None

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        k = self.settings["k"]
        ex = self._execute(frame).frame
        if "sample_id" in ex and ex.duplicated(["run", "item_id", "sample_id"]).any():
            dup = ex[ex.duplicated(["run", "item_id", "sample_id"], keep=False)].iloc[0]
            raise MetricError(f"not computable: duplicate sample_id {dup['sample_id']} for run {dup['run']!r}, "
                              f"item {dup['item_id']!r}; each sample of a task needs its own sample_id")
        table = pass_at_k_table(ex, k, group=["run", "item_id"], require_any=True)
        self.per_task = table
        self.exclusions = table[table["status"] != "ok"].reset_index(drop=True)
        if len(self.exclusions):
            listed = "; ".join(f"{r.run}/{r.item_id} ({r.status})" for r in self.exclusions.head(10).itertuples())
            more = f" and {len(self.exclusions) - 10} more" if len(self.exclusions) > 10 else ""
            warnings.warn(f"{self.name}: {len(self.exclusions)} task(s) excluded: {listed}{more}; "
                          f"see metric.exclusions", SmallSampleWarning, stacklevel=3)
        order = ex.sort_values("sample_id", kind="stable") if "sample_id" in ex else ex
        first = order[~order.duplicated(["run", "item_id"])]
        value = dict(zip(zip(table["run"], table["item_id"]), table[self.name]))
        out = pd.Series(np.nan, index=frame.index, dtype=float)
        out.loc[first.index] = [value[key] for key in zip(first["run"], first["item_id"])]
        return out.to_frame(self.name)


@register
class PassRate(_CodeMetric):
    """Per-sample pass (1/0) as a PROPORTION; NaN for samples without a verdict.

    Examples
    --------
    >>> evalnb.score(runs, ["pass_rate"]).df["pass_rate"].mean()   # doctest: +SKIP
    """

    name = "pass_rate"
    description = "share of samples whose code passes the item's tests in the sandbox"
    outputs = (Output("pass_rate", PROPORTION),)
    defaults = dict(_DEFAULTS)

    def compute(self, frame: pd.DataFrame) -> pd.DataFrame:
        ex = self._execute(frame).frame
        out = pd.Series(np.nan, index=frame.index, dtype=float)
        out.loc[ex.index] = ex["passed"].to_numpy()
        return out.to_frame("pass_rate")
