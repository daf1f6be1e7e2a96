#!/usr/bin/env bash
# Mutation testing of evalnb's numeric core with mutmut 3 (not part of CI: minutes per module).
#
#   benchmarks/mutation.sh                                   # metrics/ stats/ analysis/ portfolio/, all tests
#   benchmarks/mutation.sh "evalnb/stats/multiplicity.py" "tests/test_mutants.py tests/test_correlate.py"
#
# Argument 1: the paths to mutate (space-separated, default the four packages); argument 2: the test
# files to run (default tests/). The tree is copied to a scratch directory (without .venv and .git), so the working tree is never touched. Prints mutmut's counts and the kill rate
# killed / (killed + survived + timeout), i.e. of the mutants mutmut could run; review survivors
# with `mutmut show <name>` in the printed directory to tell real gaps from equivalent mutants.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
TARGETS="${1:-evalnb/metrics evalnb/stats evalnb/analysis evalnb/portfolio}"
TESTS="${2:-tests/}"
WORK="$(mktemp -d /tmp/evalnb-mutation.XXXXXX)"
tar --exclude=./.venv --exclude=./.git --exclude=./test-artifacts --exclude=./mutants -cf - . | tar -xf - -C "$WORK"
ln -sfn ../widgets "$WORK/evalnb/widgets"        # evalnb.widgets, as the editable install maps it
{
  echo "[mutmut]"
  echo "source_paths=evalnb"
  echo "only_mutate="; for p in $TARGETS; do if [ -d "$p" ]; then echo "    $p/*"; else echo "    $p"; fi; done
  echo "pytest_add_cli_args_test_selection="; for t in $TESTS; do echo "    $t"; done
  echo "also_copy="; echo "    widgets"; echo "    sample_data"; echo "    docs"; echo "    notebooks"
  echo "pytest_add_cli_args=-p no:cacheprovider -q -x -W ignore --timeout=300"
  echo "do_not_mutate="; echo "    *_sandbox_harness.py"; echo "    *_sandbox_os.py"
} > "$WORK/setup.cfg"
echo "[mutation] scratch copy: $WORK" >&2
echo "[mutation] mutating: $TARGETS" >&2
echo "[mutation] tests:    $TESTS" >&2
cd "$WORK"
start=$(date +%s)
# the mutated copy (mutants/evalnb) must shadow the editable install of the working tree (the folder
# exists before the run, so the import system does not cache it as missing)
mkdir -p "$WORK/mutants"
PYTHONPATH="$WORK/mutants${PYTHONPATH:+:$PYTHONPATH}" EVALNB_SECRET_DIR="$WORK/.secret" "$ROOT/.venv/bin/mutmut" run --max-children "${MUTMUT_CHILDREN:-2}" >"$WORK/run.log" 2>&1 || true
"$ROOT/.venv/bin/mutmut" results --all true >"$WORK/results.txt" 2>&1 || true
"$PY" - "$WORK/results.txt" "$(( $(date +%s) - start ))" <<'PY'
import collections, sys
counts = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    if ":" in line and "__mutmut_" in line:
        counts[line.rsplit(":", 1)[1].strip()] += 1
ran = counts["killed"] + counts["survived"] + counts["timeout"]
print(f"mutants: {sum(counts.values())}  " + "  ".join(f"{k}={v}" for k, v in sorted(counts.items())))
if ran:
    print(f"kill rate: {counts['killed'] + counts['timeout']}/{ran} = {(counts['killed'] + counts['timeout']) / ran:.1%} "
          f"(killed or timed out, of the mutants that ran) in {sys.argv[2]} s")
PY
