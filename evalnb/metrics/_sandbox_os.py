"""OS plumbing for the sandbox parent: pids cgroups, process sweeps and kills, directory removal."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

MARKER_VAR = "EVALNB_SANDBOX_RUN"


def _interpreter_runs_as(uid: int) -> bool:
    try:
        proc = subprocess.run([sys.executable, "-s", "-c", "import json, ast, ctypes"], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin"}, cwd="/",
                              user=uid, group=uid, extra_groups=[])
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _pids_cgroup_base() -> str | None:
    """A writable cgroup-v1 ``pids`` directory for per-sample cgroups, or None."""
    try:
        with open("/proc/self/mountinfo") as fh:
            mounts = [line.split() for line in fh]
        with open("/proc/self/cgroup") as fh:
            own = dict((parts[1], parts[2]) for parts in (line.strip().split(":", 2) for line in fh) if len(parts) == 3)
    except OSError:
        return None
    for fields in mounts:
        sep = fields.index("-")
        if fields[sep + 1] == "cgroup" and "pids" in fields[sep + 3].split(","):
            base = os.path.join(fields[4], own.get("pids", "/").lstrip("/"))
            probe = os.path.join(base, f"evalnb-probe-{uuid.uuid4().hex[:8]}")
            try:
                os.mkdir(probe)
                with open(os.path.join(probe, "pids.max"), "w") as fh:
                    fh.write("16")
                os.rmdir(probe)
                return base
            except OSError:
                return None
    return None


def _remove_cgroup(path: str) -> None:
    """SIGKILL whatever is left in a per-sample pids cgroup, then remove it."""
    for _ in range(50):
        try:
            with open(os.path.join(path, "cgroup.procs")) as fh:
                pids = [int(p) for p in fh.read().split()]
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.02)


def _kill(proc: subprocess.Popen) -> None:
    # The sample leads its own session/process group; with namespaces the harness is the PID
    # namespace's init, and its death makes the kernel SIGKILL everything left in the namespace.
    for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), lambda: proc.send_signal(signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def _marked_pids(marker: str) -> list[int]:
    """PIDs whose environment carries ``EVALNB_SANDBOX_RUN=<marker>`` (the host's view of /proc)."""
    needle = f"{MARKER_VAR}={marker}".encode()
    found: list[int] = []
    if not os.path.isdir("/proc"):
        return found
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/environ", "rb") as fh:
                    if needle in fh.read():
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def _kill_marked(marker: str) -> None:
    # isolation="none" has no PID namespace: sweep setsid() escapees by their marker (best effort;
    # a process that execs with an empty environment escapes this, which is why namespaces exist).
    for pid in _marked_pids(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _remove_tree(path: str) -> None:
    def onerror(func, p, exc):  # the sample may have chmod'ed things read-only
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)
