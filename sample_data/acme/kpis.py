"""kpis.csv: production KPIs (thumbs up, task success, escalation, CSAT, handle time) driven by q."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from .common import logistic, stream
from .constants import (CSAT_CUTS, CSAT_OFFSET, CSAT_Q, HANDLE_TIME, KPI_ESCALATE, KPI_SUCCESS,
                        KPI_THUMBS, MODELS)


def draw_kpis(items, q):
    """KPI arrays per model column j: {j: {thumbs_up, task_success, escalated, csat, handle_time_s}}."""
    n, M = len(items), len(MODELS)
    cat_arr = np.array([it.category for it in items])
    rng_k = stream("kpis")
    csat_off = np.array([CSAT_OFFSET[c] for c in cat_arr])
    kpi = {}
    for j in range(M):
        qj = q[:, j]
        thumbs = (rng_k.random(n) < logistic(KPI_THUMBS[0] + KPI_THUMBS[1] * qj)).astype(int)
        success = (rng_k.random(n) < logistic(KPI_SUCCESS[0] + KPI_SUCCESS[1] * qj)).astype(int)
        esc = (rng_k.random(n) < logistic(KPI_ESCALATE[0] + KPI_ESCALATE[1] * qj)).astype(int)
        lat = CSAT_Q * qj + csat_off + rng_k.normal(0, 1, size=n)
        csat = 1 + np.searchsorted(np.array(CSAT_CUTS), lat)
        ht = np.exp(math.log(HANDLE_TIME[0]) + HANDLE_TIME[1] * qj + rng_k.normal(0, HANDLE_TIME[2], size=n))
        ht = ht + esc * rng_k.uniform(300, 1200, size=n)
        kpi[j] = dict(thumbs_up=thumbs, task_success=success, escalated=esc, csat=csat.astype(int),
                      handle_time_s=np.round(ht, 1))
    return kpi


def write_kpis_csv(path: Path, kpi_rows):
    """Write the KPI rows sorted by (timestamp, request_id)."""
    kpi_rows = sorted(kpi_rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["request_id", "item_id", "timestamp", "thumbs_up", "task_success", "escalated", "csat",
                "handle_time_s"])
    for tstr, rid, iid, th, su, es, cs, ht in kpi_rows:
        w.writerow([rid, iid, tstr, th, su, es, cs, f"{ht:.1f}"])
    path.write_bytes(buf.getvalue().encode("utf-8"))
