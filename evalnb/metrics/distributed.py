"""Scoring on Ray Data: the same metrics, the same per-item numbers, on as many workers as a cluster has.

``evalnb.score(data, metrics, engine="ray")`` (and ``evalnb score --engine ray``) reads eval rows as a
Ray Dataset (a frame, Parquet/JSONL files, a glob or a folder of partitions), scores batches in stateful
actors (each builds its metrics once: a model-based metric loads its model once per actor, and
BERTScore actors ask for a GPU when the cluster has one) through ``map_batches``, and keeps the row
order. Every actor runs :func:`evalnb.score` on its batch, so per-item values are the in-process
values; corpus metrics (BLEU, chrF) keep their per-item sufficient statistics, and a corpus value is
their sum (``metric.corpus_score``), so it is identical too.

Ray is an optional extra (``pip install 'evalnb[ray]'``); ``ray`` is imported only here.

>>> scores = evalnb.score("runs/*.parquet", ["rouge1", "bleu"], engine="ray")            # doctest: +SKIP
>>> evalnb.score("runs/", ["chrf"], engine="ray", address="ray://head:10001", output="scores/")  # doctest: +SKIP
"""
from __future__ import annotations

import glob
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .._errors import ConfigError, DataError, EvalnbError

__all__ = ["score_on_ray", "ScoresDataset", "MANIFEST"]

MANIFEST = "_evalnb_scores.json"
_GPU_METRICS = ("bertscore",)


class _ScoreBatches:
    """A Ray actor: builds the metrics once, then scores each pandas batch in-process."""

    def __init__(self, metrics: list[Any], columns: Mapping[str, str] | None, keep: Sequence[str] | None,
                 judge_gate: Any = None):
        from .registry import metric as make_metric

        if judge_gate is not None:
            from .judge.engine import use_cluster_gate

            use_cluster_gate(judge_gate)
        self.metrics = [make_metric(m) for m in metrics]
        self.columns = dict(columns) if columns else None
        self.keep = list(keep) if keep is not None else None

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        import warnings

        from .scoring import score

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = score(batch.reset_index(drop=True), self.metrics, columns=self.columns, keep=self.keep,
                        progress=False).df
        return out


class JudgeGate:
    """A Ray actor: one rate gate per judge endpoint for every worker of a cluster run.

    The token buckets, the pause after an exhausted limit and the count of replies outstanding live
    here, not in each worker; workers ask before every call (``try_acquire``) and report every
    reply's ``x-ratelimit-*`` headers (``observe``). ``acquired`` counts the calls it let through.
    """

    def __init__(self) -> None:
        self.gates: dict[str, Any] = {}
        self.acquired = 0

    def _gate(self, name: str):
        from .judge.engine import _RateGate

        return self.gates.setdefault(name, _RateGate())

    def try_acquire(self, name: str, tokens: float) -> float:
        wait = self._gate(name).try_acquire(tokens)
        if wait <= 0:
            self.acquired += 1
        return wait

    def observe(self, name: str, headers: dict | None) -> None:
        self._gate(name).observe(headers)

    def exhausted(self, name: str, headers: dict | None, retry_after: float | None) -> float | None:
        return self._gate(name).exhausted(headers, retry_after)

    def stats(self) -> dict:
        return {"acquired": self.acquired, "endpoints": sorted(self.gates)}


LAST_JUDGE_GATE: dict = {}   # the gate's stats after the last cluster run that judged (calls let through)


def _record_gate(ray, gate: Any) -> None:
    LAST_JUDGE_GATE.clear()
    if gate is not None:
        LAST_JUDGE_GATE.update(ray.get(gate.stats.remote()))


def _ray(address: str | None):
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - the extra is installed by ./run
        raise ConfigError("engine='ray' needs Ray: pip install 'evalnb[ray]'") from exc
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
        if address:
            kwargs["address"] = address
        ray.init(**kwargs)
    return ray


def _paths(source: Any) -> list[str]:
    items = source if isinstance(source, (list, tuple)) else [source]
    out: list[str] = []
    for item in items:
        p = str(item)
        if os.path.isdir(p):
            out += sorted(str(q) for q in Path(p).rglob("*") if q.suffix in (".parquet", ".jsonl", ".json"))
        else:
            hits = sorted(glob.glob(p))
            if not hits:
                raise DataError(f"{p}: no such file, folder or glob match")
            out += hits
    if not out:
        raise DataError(f"{source}: no Parquet or JSONL files found")
    return out


def _dataset(ray, data: Any, batch_size: int = 4096):
    import ray.data

    frame = data.df if hasattr(data, "df") and isinstance(data.df, pd.DataFrame) else data
    if isinstance(frame, pd.DataFrame):
        if len(frame) == 0:
            raise DataError("score(engine='ray'): the data has no rows")
        frame = frame.reset_index(drop=True)
        # one block per batch: a frame handed over as one block is scored by one actor, however many run
        step = max(1, int(batch_size))
        return ray.data.from_pandas([frame.iloc[i:i + step] for i in range(0, len(frame), step)])
    paths = _paths(data)
    parquet = [p for p in paths if p.endswith(".parquet")]
    lines = [p for p in paths if not p.endswith(".parquet")]
    if parquet and lines:
        raise DataError("score(engine='ray'): mix of Parquet and JSONL inputs; convert one kind first")
    if parquet:
        return ray.data.read_parquet(parquet)
    return ray.data.read_json(lines, lines=True)


def _gpu_available(ray) -> bool:
    try:
        return float(ray.cluster_resources().get("GPU", 0)) > 0
    except Exception:
        return False


def score_on_ray(data: Any, metrics: Iterable[Any], *, columns: Mapping[str, str] | None = None,
                 keep: Sequence[str] | None = None, address: str | None = None, output: str | os.PathLike | None = None,
                 batch_size: int = 4096, concurrency: int | None = None) -> Any:
    """Score on Ray Data; returns :class:`~evalnb.metrics.scoring.Scores` (or a :class:`ScoresDataset`
    when ``output`` names a folder to write Parquet partitions into).

    Parameters
    ----------
    data : Runs, a DataFrame, Parquet/JSONL paths, a glob or a folder of partitions.
    metrics : names or Metric objects (as for :func:`evalnb.score`).
    address : a running cluster (``"auto"``, ``"ray://head:10001"``); default: the current or a new
        local Ray instance.
    output : write the scores as Parquet partitions plus ``_evalnb_scores.json`` (signatures, statuses).
    batch_size, concurrency : rows per batch; number of scoring actors (default: one per CPU).
    """
    from .registry import metric as make_metric
    from .scoring import Scores

    built = [make_metric(m) for m in metrics]
    if not built:
        raise ConfigError("score(engine='ray'): no metrics given")
    ray = _ray(address)
    import ray.data

    # rows come back in input order, as in-process; set before the Dataset is made, which copies the
    # context it is made under
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    ds = _dataset(ray, data, batch_size)
    if keep is None:
        keep = _default_keep(ds.schema())  # decided once for the whole dataset, never per batch
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    needs_gpu = any(m.name in _GPU_METRICS for m in built) and _gpu_available(ray)
    # one CPU in the cluster: the scoring actor asks for none, else it holds the only CPU for the whole
    # run and Ray Data's file-listing and read tasks, which each need one, wait for it forever
    options: dict[str, Any] = {"num_gpus": 1} if needs_gpu else {"num_cpus": 1 if cpus >= 2 else 0}
    # an autoscaling pool (1..cpus actors): a fixed pool of `cpus` actors would wait forever for the CPU
    # that the read tasks hold
    from .judge.base import JudgeMetric

    # judges: one rate gate for the whole cluster, owned by this driver so it outlives any worker;
    # the journal (cache_dir) is already one namespace across processes sharing it
    gate = ray.remote(num_cpus=0)(JudgeGate).remote() if any(isinstance(m, JudgeMetric) for m in built) else None
    scored = ds.map_batches(_ScoreBatches, fn_constructor_args=(built, columns, keep, gate), batch_format="pandas",
                            batch_size=batch_size, concurrency=concurrency or (1, cpus), **options)
    signatures = {m.name: m.signature() for m in built}
    if output is not None:
        out = Path(output)
        scored.write_parquet(str(out))
        _record_gate(ray, gate)
        df_cols = scored.schema().names
        status = _status(built, _non_null_counts(ray, str(out), df_cols))
        (out / MANIFEST).write_text(json.dumps({"signatures": signatures, "status": status,
                                                "metrics": [{"name": m.name, "settings": dict(m.settings)} for m in built]},
                                               indent=2, sort_keys=True), encoding="utf-8")
        return ScoresDataset(out, signatures, status)
    df = _plain_dtypes(scored.to_pandas().reset_index(drop=True), data)
    _record_gate(ray, gate)
    for col in df.columns:   # a batch whose values were all missing comes back as Arrow null: restore floats
        if df[col].dtype == object:
            present = df[col].dropna()
            if len(present) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
                df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    counts = {c: int(df[c].notna().sum()) for c in df.columns}
    return Scores(df, {m.name: m for m in built}, signatures, _status(built, counts))


def _default_keep(schema: Any) -> list[str]:
    """The in-process default of ``keep`` (operational and numeric extra columns), from the schema."""
    import pyarrow as pa

    from .scoring import _TEXTUAL, KEY_COLUMNS, OPERATIONAL

    names, types = list(schema.names), list(schema.types)
    keep = []
    for name, typ in zip(names, types):
        arrow = typ if isinstance(typ, pa.DataType) else None
        numeric = arrow is not None and (pa.types.is_integer(arrow) or pa.types.is_floating(arrow) or pa.types.is_boolean(arrow))
        if arrow is None:
            numeric = pd.api.types.is_numeric_dtype(typ)
        if name not in KEY_COLUMNS and name not in _TEXTUAL and (name in OPERATIONAL or numeric):
            keep.append(name)
    return keep


def _plain_dtypes(df: pd.DataFrame, data: Any) -> pd.DataFrame:
    """Undo the Arrow round trip's dtypes (``large_string[pyarrow]``) so the frame is the in-process one."""
    source = data.df if hasattr(data, "df") and isinstance(data.df, pd.DataFrame) else data
    for col in df.columns:
        if isinstance(df[col].dtype, pd.ArrowDtype):
            want = source[col].dtype if isinstance(source, pd.DataFrame) and col in source.columns else None
            if want is not None:
                df[col] = df[col].astype(want)
            else:
                df[col] = df[col].astype("str") if pd.api.types.is_string_dtype(df[col].dtype) else \
                    df[col].to_numpy(dtype=object)
    return df


def _non_null_counts(ray, path: str, columns: Sequence[str]) -> dict[str, int]:
    import duckdb

    con = duckdb.connect()
    glob_ = str(Path(path) / "*.parquet")
    sql = ", ".join(f'count("{c}")' for c in columns)
    row = con.execute(f"SELECT {sql} FROM read_parquet(?)", [glob_]).fetchone()
    return dict(zip(columns, (int(v) for v in row)))


def _status(built: list[Any], counts: Mapping[str, int]) -> dict[str, str]:
    """The in-process rule: a metric with a required output that no row has is not computable."""
    status = {}
    for m in built:
        optional = {o.column for o in m.outputs if getattr(o, "optional", False)}
        empty = [c for c in m.columns if c not in optional and counts.get(c, 0) == 0]
        status[m.name] = "ok" if not empty else "not computable: no row had the inputs this metric needs"
    return status


class ScoresDataset:
    """Scores written as a Parquet dataset (a folder of partitions and ``_evalnb_scores.json``).

    Analyses that accept a dataset (``evalnb.summarize``, ``evalnb.slice_table``) push their
    aggregation into DuckDB; :meth:`load` reads it into memory as :class:`Scores` when it fits.
    """

    def __init__(self, path: str | os.PathLike, signatures: Mapping[str, str] | None = None,
                 status: Mapping[str, str] | None = None):
        self.path = Path(path)
        manifest = self.path / MANIFEST
        meta = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        self.signatures = dict(signatures if signatures is not None else meta.get("signatures", {}))
        self.status = dict(status if status is not None else meta.get("status", {}))
        self._metrics = meta.get("metrics", [{"name": n, "settings": {}} for n in self.signatures])

    @property
    def files(self) -> str:
        return str(self.path / "**" / "*.parquet") if self.path.is_dir() else str(self.path)

    def metrics(self) -> dict[str, Any]:
        """The metric objects, rebuilt from their names and settings."""
        from .registry import metric as make_metric

        out = {}
        for spec in self._metrics:
            try:
                out[spec["name"]] = make_metric(spec["name"], **spec.get("settings", {}))
            except EvalnbError:
                continue
        return out

    def load(self) -> Any:
        from .scoring import Scores

        df = pd.read_parquet(self.path) if self.path.is_dir() else pd.read_parquet(self.path)
        return Scores(df.reset_index(drop=True), self.metrics(), self.signatures, self.status)

    def __repr__(self) -> str:
        return f"ScoresDataset({str(self.path)!r}, metrics={list(self.signatures)})"
