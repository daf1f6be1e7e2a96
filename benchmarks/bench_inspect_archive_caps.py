"""Inspect ``.eval`` zip bombs (issue 13 item 15): peak RSS to refuse them, against the stdlib path.

A ~600 KB archive whose one sample member inflates to 600 MB of zeros, twice: as written (the
central directory declares 600 MB) and with the declared size forged to 100 bytes. The previous
path (``zipfile.ZipFile.read`` of every member, what evalnb did before) inflates the whole member;
evalnb refuses the first from the declared size and stops the second at its ratio cap while it
inflates. Each load runs in a fresh process; figures are the growth of peak RSS over a process
that already loaded a small log (imports excluded).

    .venv/bin/python benchmarks/bench_inspect_archive_caps.py [--mb 600]
"""
from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "fixtures" / "importers" / "inspect_success.json"

CHILD = r"""
import resource, sys, time, zipfile
sys.path.insert(0, sys.argv[3])
import evalnb
evalnb.load_runs(sys.argv[4])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
outcome = "loaded"
try:
    if sys.argv[1] == "stdlib":
        with zipfile.ZipFile(sys.argv[2]) as zf:
            sum(len(zf.read(n)) for n in zf.namelist())
    else:
        evalnb.load_runs(sys.argv[2])
except Exception as exc:  # noqa: BLE001
    outcome = type(exc).__name__
print(f"{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024:.0f} {time.perf_counter() - t:.2f} {outcome}")
"""


def build(path: Path, mb: int, forge: bool) -> None:
    header = json.loads(SMALL.read_text())
    header.pop("samples")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps(header))
        with zf.open("samples/1_epoch_1.json", "w", force_zip64=mb >= 4096) as fh:
            for _ in range(mb):
                fh.write(b"\0" * (1 << 20))
    if forge:
        data = bytearray(path.read_bytes())
        at = data.rfind(b"PK\x01\x02")
        data[at + 24:at + 28] = struct.pack("<I", 100)
        path.write_bytes(bytes(data))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'archive':<28}{'path':<10}{'peak RSS +MB':>14}{'seconds':>9}  outcome")
        for forge in (False, True):
            path = Path(tmp) / f"bomb-{forge}.eval"
            build(path, args.mb, forge)
            label = f"{path.stat().st_size // 1024} KB -> {args.mb} MB" + (" (forged)" if forge else "")
            for how in ("stdlib", "evalnb"):
                out = subprocess.run([sys.executable, "-c", CHILD, how, str(path), str(ROOT), str(SMALL)],
                                     capture_output=True, text=True, check=True).stdout.split()
                print(f"{label:<28}{how:<10}{out[0]:>14}{out[1]:>9}  {out[2]}")


if __name__ == "__main__":
    main()
