"""Mutation testing on a uniform random sample of mutants, with a 95% Wilson interval (not in CI).

A full ``mutmut run`` over ``evalnb/metrics``, ``stats``, ``analysis`` and ``portfolio`` (33,885
mutants, ~12 s each) takes days on two cores. This script lets mutmut 3 generate every mutant of those packages, draws a seeded
uniform random sample of them and runs only the sample, so the kill rate it prints is an unbiased
estimate of the whole-package rate, with its 95% Wilson interval
(``statsmodels.stats.proportion.proportion_confint(method="wilson")``).

    .venv/bin/python benchmarks/mutation_sample.py                      # 120 mutants, seed 14
    .venv/bin/python benchmarks/mutation_sample.py --sample 150 --seed 14 --children 2   # docs/testing.md's run
    .venv/bin/python benchmarks/mutation_sample.py --sample 20 --seed 1 # a quick check of the pipeline
    .venv/bin/python benchmarks/mutation_sample.py --workdir /tmp/evalnb-mutation-sample.XXXX --sample 150
    .venv/bin/python benchmarks/mutation_sample.py --workdir DIR --only NAME [NAME ...]   # rerun named mutants

Steps, all in a scratch copy of the tree under /tmp (the working tree is never touched; reuse one
with ``--workdir``: the mutants, mutmut's test map and every verdict so far are kept there, so a
bigger sample with the same seed only runs the mutants not yet run):

1. mutmut generates the mutants of the four packages (``mutants/``), then its stats pass runs the
   selected tests once and records which tests execute each mutated function;
2. the mutant names are listed (``mutmut print-time-estimates``: every mutant, with ``<no tests>``
   for those no selected test reaches), shuffled with ``random.Random(seed)`` and the first N taken
   (a uniform sample without replacement; the first 20 of seed S are the first 20 of any bigger
   sample of seed S);
3. ``mutmut run NAME ...`` runs the sampled mutants that some test reaches (each against only the
   tests that execute its function, ``-x``: the first failure kills it); a sampled mutant no test
   reaches is reported as ``no tests`` (not killed);
4. the script prints mutants per package, the sample's killed / survived / timeout / no tests, the
   kill rate (killed + timeout) / sampled with its Wilson 95% CI, the wall time and the survivors,
   whose ``mutmut show`` diffs it writes to ``survivors.diff`` in the scratch directory.

Tests: the unit tests of the four packages (``UNIT_TESTS``: not the browser, notebook, Ray/scale,
sandbox, docs/doctest, architecture, widget, report, loader or CLI tests, so each mutant costs
seconds), marked neither ``browser``, ``slow`` nor ``shared_data``; ``--tests`` and ``--ignore``
change that (``--tests tests/`` runs every file but those in ``IGNORE``).
Isolation: mutmut's ``forkserver`` (``--isolation``), because with ``fork`` every mutant's process
inherits in-process caches filled by the stats pass and the clean run (pass@k's execution cache hid
a sandbox mutant) and a BLAS pool forked mid-use deadlocked children; one BLAS thread either way.
mutmut maps tests to functions once: a test added later is mapped when first seen, but an existing
test that gains an assertion on another function is not rerun for that function's mutants.
Survivors still have to be read: an equivalent mutant (one no test could ever kill) is no gap, so
the figure to report is killed / (sampled - equivalent), which ``--equivalent NAME ...`` prints.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
PY = ROOT / ".venv" / "bin" / "python"
PACKAGES = ["evalnb/metrics", "evalnb/stats", "evalnb/analysis", "evalnb/portfolio"]
DO_NOT_MUTATE = ["*_sandbox_harness.py", "*_sandbox_os.py"]  # run inside the sandbox's child process
# the expensive or environment-bound tests: a real browser, notebooks, Ray/DuckDB scale runs, the
# sandbox's namespaces, the mkdocs build and doctests of every module, import-linter
IGNORE = ["tests/test_browser.py", "tests/test_notebooks.py", "tests/test_notebook_export.py",
          "tests/test_scale.py", "tests/test_scale_analysis.py", "tests/test_sandbox.py",
          "tests/test_docs.py", "tests/test_doctests.py", "tests/test_architecture.py",
          "tests/test_meta_eval_shared.py", "tests/test_peer_servers.py"]
# the unit tests of the four packages (the views, widgets, loaders, importers, reports and CLI have
# their own tests, which also call the core but cost minutes per mutant of a widely used function)
UNIT_TESTS = ["tests/test_api_vocabulary.py", "tests/test_calibration.py", "tests/test_correlate.py",
              "tests/test_correlate_join.py", "tests/test_drift.py", "tests/test_gates.py",
              "tests/test_judge_engine.py", "tests/test_judge_hardening.py", "tests/test_judge_metrics.py",
              "tests/test_judge_validation.py", "tests/test_kpi_models.py", "tests/test_metrics_ops.py",
              "tests/test_metrics_overlap.py", "tests/test_metrics_qa.py", "tests/test_metrics_semantic.py",
              "tests/test_metrics_text_streaming.py", "tests/test_mutants.py", "tests/test_pass_at_k.py",
              "tests/test_portfolio_config.py", "tests/test_portfolio_select.py", "tests/test_recalibrate.py",
              "tests/test_retrieval.py", "tests/test_slices.py", "tests/test_summarize_compare.py",
              "tests/test_summary_text.py", "tests/test_validity.py"]
MARKERS = "not browser and not slow and not shared_data"
EXCLUDE_FROM_COPY = {".venv", ".git", "test-artifacts", "mutants", ".hypothesis", ".pytest_cache", "build",
                     "site", ".evalnb-cache"}


def wilson(k: int, n: int) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def scratch_copy() -> Path:
    work = Path(tempfile.mkdtemp(prefix="evalnb-mutation-sample.", dir="/tmp"))
    for entry in ROOT.iterdir():
        if entry.name in EXCLUDE_FROM_COPY:
            continue
        target = work / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
        else:
            shutil.copy2(entry, target, follow_symlinks=False)
    (work / "evalnb" / "widgets").symlink_to("../widgets")  # evalnb.widgets, as the editable install maps it
    return work


def write_config(work: Path, tests: list[str], ignore: list[str], timeout: int, isolation: str) -> None:
    # forkserver: each mutant's tests run in a child of a process that has collected the tests but
    # run none, so no in-process cache (pass@k's execution cache, lru_caches) filled by the stats
    # pass or the clean run hides a mutant; with "fork" they are inherited from mutmut's process
    lines = ["[mutmut]", "source_paths=evalnb", f"process_isolation={isolation}", "only_mutate="]
    lines += [f"    {p}/*" if (ROOT / p).is_dir() else f"    {p}" for p in PACKAGES]
    lines += ["do_not_mutate="] + [f"    {p}" for p in DO_NOT_MUTATE]
    lines += ["pytest_add_cli_args_test_selection="] + [f"    {t}" for t in tests]
    lines += [f"    --ignore={p}" for p in ignore] + ["    -m", f"    {MARKERS}"]
    lines += ["also_copy="] + [f"    {p}" for p in ("widgets", "sample_data", "docs", "notebooks")]
    # mutmut splits a setup.cfg list on newlines only (a one-line value is one argument), so every
    # pytest argument gets its own line
    lines += ["pytest_add_cli_args="] + [f"    {a}" for a in ("-p", "no:cacheprovider", "-W", "ignore",
                                                                 f"--timeout={timeout}")]
    (work / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


def env_for(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    # the mutated copy (mutants/evalnb) must shadow the editable install of the working tree
    env["PYTHONPATH"] = str(work / "mutants") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["EVALNB_SECRET_DIR"] = str(work / ".secret")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env["PYTHONWARNINGS"] = "ignore"
    # one BLAS/OpenMP thread: two shared cores, and a thread pool forked mid-use can deadlock a child
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = "1"
    return env


GENERATE = """
import os
from mutmut.__main__ import copy_src_dir, copy_also_copy_files, setup_source_paths, create_mutants
from mutmut.mutation.trampoline import set_mutant_under_test
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir(); copy_also_copy_files(); setup_source_paths()
s = create_mutants(int(os.environ.get("MUTMUT_CHILDREN", "1")))
print(f"generated: {s.mutated} files mutated, {s.ignored} ignored, {s.unmodified} unmodified")
"""


def sh(cmd: list[str], work: Path, log: Path, env: dict[str, str]) -> int:
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        return subprocess.run(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT).returncode


def load_verdicts(work: Path) -> dict[str, str]:
    """mutant name -> mutmut's status, read from the .meta files mutmut writes next to the mutants."""
    from mutmut.stats import status_by_exit_code
    verdicts = {}
    for meta in (work / "mutants" / "evalnb").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            verdicts[name] = status_by_exit_code[code]
    return verdicts


def package_of(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sample", type=int, default=120, help="number of mutants to run (default 120)")
    ap.add_argument("--seed", type=int, default=14, help="seed of the sample (default 14)")
    ap.add_argument("--workdir", type=Path, help="reuse this scratch directory (mutants, stats, verdicts)")
    ap.add_argument("--children", type=int, default=1, help="mutmut --max-children (default 1)")
    ap.add_argument("--timeout", type=int, default=120, help="pytest-timeout per test, seconds (default 120)")
    ap.add_argument("--tests", nargs="+", default=UNIT_TESTS,
                    help="test paths (default: the unit tests of the four packages, UNIT_TESTS)")
    ap.add_argument("--ignore", nargs="*", default=IGNORE, help="test files not run (default: the slow ones)")
    ap.add_argument("--isolation", choices=["forkserver", "fork"], default="forkserver",
                    help="mutmut's process_isolation (default forkserver: no cache inherited from the stats pass)")
    ap.add_argument("--only", nargs="+", help="run exactly these mutant names (after a sampled run)")
    ap.add_argument("--rerun", action="store_true", help="rerun sampled mutants that already have a verdict")
    ap.add_argument("--equivalent", nargs="*", default=[],
                    help="survivors judged equivalent: also print killed / (sampled - equivalent)")
    args = ap.parse_args()

    start = time.monotonic()
    work = args.workdir or scratch_copy()
    log = work / "mutation.log"
    env = env_for(work)
    env["MUTMUT_CHILDREN"] = str(args.children)
    print(f"[mutation] scratch copy: {work}  (log: {log})", file=sys.stderr)
    estimates_file = work / "time-estimates.txt"
    # (a different --tests or --ignore in an existing workdir makes mutmut redo its stats pass and
    # forget its verdicts; the mutant list in time-estimates.txt stays valid)
    write_config(work, args.tests, args.ignore, args.timeout, args.isolation)
    if not estimates_file.exists():
        (work / "mutants").mkdir(exist_ok=True)
        if sh([str(PY), "-c", GENERATE], work, log, env):
            print(f"mutant generation failed, see {log}", file=sys.stderr)
            return 2
        t0 = time.monotonic()
        # stats pass (the selected tests once, recording which tests reach each function), then one
        # line per mutant: "<no tests> NAME" or "123ms NAME"
        with open(estimates_file.with_suffix(".tmp"), "w", encoding="utf-8") as out:
            rc = subprocess.run([str(MUTMUT), "print-time-estimates"], cwd=work, env=env, stdout=out,
                                stderr=subprocess.STDOUT).returncode
        if rc:
            print(f"mutmut's stats pass failed (rc {rc}), see {estimates_file.with_suffix('.tmp')}", file=sys.stderr)
            return 2
        estimates_file.with_suffix(".tmp").rename(estimates_file)
        print(f"[mutation] stats pass: {time.monotonic() - t0:.0f} s", file=sys.stderr)

    estimate = {}
    for line in estimates_file.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(<no tests>|\d+ms) (evalnb\.\S+__mutmut_\d+)$", line.strip())
        if m:
            estimate[m.group(2)] = None if m.group(1) == "<no tests>" else int(m.group(1)[:-2])
    population = sorted(estimate)
    per_package = collections.Counter(package_of(n) for n in population)
    print(f"mutants generated: {len(population)}  " + "  ".join(f"{p}={c}" for p, c in sorted(per_package.items())))
    print(f"  of which no selected test reaches the function: {sum(v is None for v in estimate.values())}")

    if args.only:
        sample = args.only
        todo = [n for n in sample if estimate.get(n) is not None]
    else:
        order = population[:]
        random.Random(args.seed).shuffle(order)
        sample = order[:args.sample]
        verdicts = load_verdicts(work)
        todo = [n for n in sample if estimate[n] is not None
                and (args.rerun or verdicts.get(n) in (None, "not checked"))]
    print(f"sample: {len(sample)} (seed {args.seed}), to run now: {len(todo)}, "
          f"estimated test time of those {sum(estimate[n] for n in todo) / 1000:.0f} s before -x")
    if todo:
        t0 = time.monotonic()
        sh([str(MUTMUT), "run", "--max-children", str(args.children), *todo], work, log, env)
        print(f"[mutation] mutmut run: {time.monotonic() - t0:.0f} s", file=sys.stderr)

    verdicts = load_verdicts(work)
    status = {n: ("no tests" if estimate.get(n) is None else verdicts.get(n, "not checked")) for n in sample}
    counts = collections.Counter(status.values())
    n = len(sample)
    killed = counts["killed"] + counts["timeout"]
    print("results: " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print("by package: " + "  ".join(
        f"{p} {sum(status[m] in ('killed', 'timeout') for m in sample if package_of(m) == p)}/"
        f"{sum(package_of(m) == p for m in sample)}" for p in sorted({package_of(m) for m in sample})))
    low, high = wilson(killed, n)
    print(f"kill rate (killed + timeout) / sampled: {killed}/{n} = {killed / n:.1%}  "
          f"95% Wilson CI [{low:.1%}, {high:.1%}]")
    ran = n - counts["no tests"] - counts["not checked"]
    if ran and ran != n:
        low, high = wilson(killed, ran)
        print(f"  of the mutants some test reaches: {killed}/{ran} = {killed / ran:.1%}  "
              f"95% Wilson CI [{low:.1%}, {high:.1%}]")
    equivalent = [m for m in args.equivalent if m in status and status[m] not in ("killed", "timeout")]
    if equivalent:
        k, m_ = killed, n - len(equivalent)
        low, high = wilson(k, m_)
        print(f"  of the non-equivalent ({len(equivalent)} equivalent): {k}/{m_} = {k / m_:.1%}  "
              f"95% Wilson CI [{low:.1%}, {high:.1%}]")
    survivors = sorted(m for m, s in status.items() if s not in ("killed", "timeout"))
    with open(work / "survivors.diff", "w", encoding="utf-8") as out:
        for m in survivors:
            shown = subprocess.run([str(MUTMUT), "show", m], cwd=work, env=env, capture_output=True, text=True)
            out.write(f"# {status[m]}\n{shown.stdout}{shown.stderr}\n")
    print(f"survivors ({len(survivors)}; diffs in {work / 'survivors.diff'}):")
    for m in survivors:
        print(f"  {status[m]:>10}  {m}")
    print(f"wall time: {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
