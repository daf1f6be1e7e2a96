"""Run untrusted generated Python against an item's tests, one isolated subprocess per sample.

Design rule 1 of docs/threat-model.md: untrusted code never runs in the kernel. Layers, outermost
first (see the README section "Metrics: code execution" for the threat model):

- a subprocess per sample in its own session, with stdin closed and a scrubbed environment
  (no API keys or tokens; HOME and TMPDIR point at a throwaway directory that is removed after);
- when evalnb runs as root (containers), the sample runs as uid/gid 65534 ("nobody");
- fresh user, PID, network and mount namespaces via util-linux ``unshare`` (probed once per
  process and cached; fail closed with :class:`SandboxUnavailableError` naming the missing layer
  unless ``isolation="none"`` is passed explicitly);
- inside them the harness mounts a size-capped tmpfs on the work directory, remounts everything
  else read-only and drops every capability before the candidate runs;
- rlimits: address space, CPU seconds, file size, open files, processes;
- output captured in chunks and capped in bytes (``output_truncated``);
- a parent-side monotonic deadline ending in SIGKILL of the process group; the harness is the
  PID namespace's init, so killing it kills every process in the namespace (``setsid``
  grandchildren included, which ``killpg`` alone misses);
- a pass is counted only from a result line carrying a per-run secret nonce, written by the harness
  after the tests ran, on a private pipe -- never from exit code 0.
"""
from __future__ import annotations

import contextlib
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from .._display import ResultDisplay
from .._errors import SandboxUnavailableError
from ._sandbox_os import (MARKER_VAR, _interpreter_runs_as, _kill, _kill_marked, _pids_cgroup_base, _remove_cgroup,
                          _remove_tree)

HARNESS = Path(__file__).with_name("_sandbox_harness.py")
STATUSES = ("passed", "failed", "timeout", "oom", "sandbox_error", "infra_timeout")
#: statuses that say something about the candidate (the others are excluded from pass@k's n)
VERDICTS = ("passed", "failed", "timeout", "oom")
NOBODY = 65534
UNSHARE_FLAGS = ("--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc")
# As root, the parent writes the user namespace's id maps itself (0 -> 0 for the harness's mounts,
# 65534 -> 65534 for the candidate), so the map flag is left out and the child waits for them.
ROOT_UNSHARE_FLAGS = ("--user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc")
_GATE = 'read -r _ && exec "$@" </dev/null'   # wait for the parent's go (ids mapped), then run
# (layer name, unshare flags) probed in this order; the first that fails is the one named.
_LAYERS = (
    ("user namespace", ("--user", "--map-root-user")),
    ("PID namespace", ("--user", "--map-root-user", "--pid", "--fork", "--kill-child")),
    ("network namespace", ("--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--net")),
    ("mount namespace with a private /proc", UNSHARE_FLAGS),
)
_RESULT_CAP = 65536  # bytes read from the private result pipe; the rest is discarded


def _unshare_path() -> str | None:
    """Where util-linux ``unshare`` lives (a function, so tests can simulate its absence or failure)."""
    return shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin:" + os.environ.get("PATH", ""))


@dataclass(frozen=True)
class IsolationReport(ResultDisplay):
    """What the start-up probe found.

    Attributes
    ----------
    available : every layer works (user, PID, network and mount namespaces, read-only remount,
        capability drop, network unreachable).
    layers : the layers in force when ``available``.
    missing : the first layer that failed, or None.
    detail : the failing command's message.
    uid : the uid the candidate runs as (65534, inside the user namespace and on the host, when
        evalnb runs as root; None = evalnb's own, unprivileged uid, mapped to a capability-less
        root inside the namespace).
    process_limit : how the process count is capped: ``"rlimit"`` (RLIMIT_NPROC, enforced for
        non-root users) or ``"cgroup"`` (a pids cgroup per sample, for root whose interpreter
        "nobody" cannot run, e.g. a pyenv under /root).
    pids_cgroup : the cgroup directory under which per-sample pids cgroups are created.
    """

    available: bool
    layers: tuple[str, ...] = ()
    missing: str | None = None
    detail: str = ""
    uid: int | None = None
    process_limit: str | None = None
    pids_cgroup: str | None = None

    def summary(self) -> str:
        if self.available:
            who = f"uid {self.uid}" if self.uid is not None else f"evalnb's own uid ({os.geteuid()})"
            return (f"sandbox isolation available: {', '.join(self.layers)}; samples start as {who}; "
                    f"process count capped by {self.process_limit}")
        return f"sandbox isolation unavailable: missing {self.missing} ({self.detail})"


@dataclass(frozen=True)
class ExecutionResult:
    """The outcome of one sample.

    ``status`` is one of passed, failed, timeout, oom, sandbox_error (the harness could not run
    or report; not the candidate's fault), infra_timeout (the interpreter did not even start
    within ``startup_timeout``, e.g. an overloaded machine). ``output`` holds at most
    ``max_output_bytes`` of stdout+stderr; ``output_truncated`` says more was discarded.
    """

    status: str
    output: str = ""
    output_truncated: bool = False
    duration_s: float = 0.0
    detail: str = ""
    checks: int = 0
    returncode: int | None = None
    run_s: float | None = None   # seconds from the harness's ready signal to the end (None: never ready)
    marker: str = ""   # EVALNB_SANDBOX_RUN value in the sample's environment (not secret; for leak checks)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


_probe_lock = threading.Lock()
_probe_cache: IsolationReport | None = None


def _hidden_and_kept() -> tuple[list[str], list[str]]:
    """The real home to hide inside the sandbox, and the interpreter paths to keep visible."""
    home = os.path.realpath(os.path.expanduser("~"))
    hide = [home] if home not in ("/", "") and os.path.isdir(home) else []
    keep = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                                           os.path.dirname(os.path.realpath(sys.executable)), str(HARNESS.parent),
                                           *sys.path) if p and os.path.isdir(p)}
    return hide, sorted(keep)


def probe_isolation(refresh: bool = False) -> IsolationReport:
    """Probe once per process (cached) which isolation layers this machine allows.

    Parameters
    ----------
    refresh : probe again instead of returning the cached report.

    Examples
    --------
    >>> from evalnb.metrics.sandbox import probe_isolation
    >>> probe_isolation().summary()                                  # doctest: +SKIP
    'sandbox isolation available: user namespace, PID namespace, ... (samples run as uid 65534)'
    """
    global _probe_cache
    with _probe_lock:
        if _probe_cache is None or refresh:
            _probe_cache = _probe()
        return _probe_cache


def _probe() -> IsolationReport:
    unshare = _unshare_path()
    if unshare is None:
        return IsolationReport(False, missing="the unshare command (util-linux)",
                               detail="unshare was not found on PATH")
    uid, process_limit, cgroup = None, "rlimit", None
    if os.geteuid() == 0:
        # Root inside a namespace mapped to root would still own the host's root files: the
        # harness maps 65534 too and drops the candidate to it after mounting (issue 13.2); the
        # interpreter stays runnable because it was exec'd before the switch and its directories
        # are bound back over the hidden home. A pids cgroup caps the process count when one is
        # writable (RLIMIT_NPROC counts host uid 65534 across all samples otherwise).
        uid = NOBODY
        cgroup = _pids_cgroup_base()
        process_limit = "cgroup" if cgroup is not None else "rlimit"
    ids: dict = {}
    for layer, flags in _LAYERS:
        try:
            proc = subprocess.run([unshare, *flags, "/bin/true"], stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=20, env={"PATH": "/usr/bin:/bin"}, cwd="/", **ids)
        except (OSError, subprocess.SubprocessError) as exc:
            return IsolationReport(False, missing=layer, detail=f"{unshare} {' '.join(flags)}: {exc}", uid=uid)
        if proc.returncode != 0:
            msg = (proc.stderr or proc.stdout).strip() or f"exit code {proc.returncode}"
            return IsolationReport(False, missing=layer, detail=f"{unshare} {' '.join(flags)}: {msg}", uid=uid)
    # The in-namespace layers: tmpfs work dir, hidden home, read-only remount, capability drop, no network.
    candidate = IsolationReport(True, uid=uid, process_limit=process_limit, pids_cgroup=cgroup)
    sandbox = Sandbox(isolation="none", timeout=20.0, startup_timeout=20.0, _probe_only=True)
    result = sandbox._run_one("", "", isolation="namespaces", unshare=unshare, probe=True, report=candidate)
    if result.status != "probe_ok":
        return IsolationReport(False, missing="read-only file system, capability drop and no network (harness)",
                               detail=(result.detail or result.output)[-500:], uid=uid)
    layers = ("user namespace", "PID namespace", "network namespace", "mount namespace", "read-only file system",
              "hidden home", "minimal /dev", "tmpfs work directory", "private job file", "capabilities dropped",
              *(("unprivileged uid",) if uid is not None else ()), "rlimits",
              "pids cgroup" if process_limit == "cgroup" else "RLIMIT_NPROC")
    return replace(candidate, layers=layers)


@dataclass(frozen=True)
class Sandbox:
    """Runs candidate code against assert-style tests, one isolated subprocess per sample.

    Parameters
    ----------
    timeout : seconds the candidate and its tests may run (wall clock, measured by the parent
        from the moment the harness is ready; the kill is SIGKILL of the whole namespace).
    memory_mb : address-space limit (RLIMIT_AS); a MemoryError becomes status ``oom``.
    max_output_bytes : bytes of stdout+stderr kept per sample; the rest is read and discarded.
    max_file_mb : largest file the sample may write (RLIMIT_FSIZE).
    workdir_mb : size of the private tmpfs work directory (namespaces only).
    max_open_files, max_processes : RLIMIT_NOFILE and RLIMIT_NPROC (counted per user namespace).
    isolation : ``"namespaces"`` (default; refuses to run when unavailable) or ``"none"`` (runs
        with rlimits, a scrubbed environment and a throwaway directory only -- for code you trust).
    workers : parallel samples in :meth:`run_many` (default: the number of CPU cores).
    startup_timeout : seconds allowed for the interpreter to start before ``infra_timeout``.
    tmp_root : where throwaway directories are created (default: the system temp dir).
    strict : check that every value the tests compare is a plain value (builtin scalars and
        containers, date/datetime/timedelta/Decimal, ...) before comparing, so a candidate's
        always-True ``__eq__`` cannot pass (X13). ``False`` compares with Python's own ``==``, for
        test suites that compare custom objects.

    Examples
    --------
    >>> box = Sandbox(timeout=2.0)                                              # doctest: +SKIP
    >>> box.run("def add(a, b):\\n    return a + b", "assert add(1, 2) == 3").status   # doctest: +SKIP
    'passed'
    """

    timeout: float = 5.0
    memory_mb: int = 1024
    max_output_bytes: int = 65536
    max_file_mb: int = 16
    workdir_mb: int = 64
    max_open_files: int = 256
    max_processes: int = 64
    isolation: str = "namespaces"
    workers: int | None = None
    startup_timeout: float = 15.0
    tmp_root: str | None = None
    strict: bool = True
    _probe_only: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.isolation not in ("namespaces", "none"):
            raise ValueError(f"isolation must be 'namespaces' or 'none', not {self.isolation!r}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, not {self.timeout!r}")
        if self.isolation == "namespaces" and not self._probe_only:
            self.check_isolation()

    def check_isolation(self) -> IsolationReport:
        """Raise :class:`SandboxUnavailableError` unless the namespaces work (or isolation is "none")."""
        report = probe_isolation()
        if self.isolation == "none" or report.available:
            return report
        raise SandboxUnavailableError(
            f"refusing to run untrusted code: the sandbox needs a {report.missing}, which this machine does "
            f"not provide ({report.detail}). Fix: allow unprivileged user namespaces (sysctl "
            "user.max_user_namespaces>0; kernel.unprivileged_userns_clone=1 on Debian/Ubuntu kernels; "
            "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu 24.04), run in a container that permits "
            "unshare (e.g. docker --security-opt seccomp=unconfined), or pass isolation='none' to run the code "
            "WITHOUT namespaces (only for code you trust).")

    def signature(self) -> str:
        """Settings that change results (workers and tmp_root do not)."""
        return (f"timeout:{self.timeout}|memory_mb:{self.memory_mb}|max_file_mb:{self.max_file_mb}|"
                f"max_open_files:{self.max_open_files}|max_processes:{self.max_processes}|"
                f"max_output_bytes:{self.max_output_bytes}|isolation:{self.isolation}|strict:{self.strict}")

    # -- public runs ----------------------------------------------------------------------
    def run(self, code: str, tests: str, entry_point: str | Sequence[str] | None = None) -> ExecutionResult:
        """Run one candidate against its tests.

        ``entry_point`` names the function(s) the tests may use (HumanEval's ``entry_point``);
        the tests then see only those from the candidate's module. Without it they see the
        candidate's own definitions, minus any that shadow a builtin or bind a module.

        Examples
        --------
        >>> Sandbox(timeout=2).run("x = 1", "assert x == 1").passed   # doctest: +SKIP
        True
        """
        self.check_isolation()
        return self._run_one(code, tests, isolation=self.isolation, unshare=_unshare_path(), entry_point=entry_point)

    def run_many(self, jobs: Iterable[tuple[str, str] | tuple[str, str, str | None]], *, progress: bool = True,
                 desc: str = "sandbox") -> list[ExecutionResult]:
        """Run ``(code, tests)`` pairs (or ``(code, tests, entry_point)``) in parallel (``workers``
        at a time); results in input order.

        Examples
        --------
        >>> Sandbox(timeout=2).run_many([("x=1", "assert x==1"), ("x=2", "assert x==1")])  # doctest: +SKIP
        [ExecutionResult(status='passed', ...), ExecutionResult(status='failed', ...)]
        """
        from tqdm.auto import tqdm

        self.check_isolation()
        jobs = list(jobs)
        unshare = _unshare_path()
        results: list[ExecutionResult | None] = [None] * len(jobs)
        workers = max(1, self.workers or os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evalnb-sandbox") as pool, \
                tqdm(total=len(jobs), desc=desc, unit="sample", disable=not progress or not jobs, leave=False) as bar:
            futures = {pool.submit(self._run_one, job[0], job[1], isolation=self.isolation, unshare=unshare,
                                   entry_point=job[2] if len(job) > 2 else None): i
                       for i, job in enumerate(jobs)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.update(1)
        return [r for r in results if r is not None]

    # -- one sample -----------------------------------------------------------------------
    def _limits(self) -> dict[str, int]:
        return {
            "RLIMIT_AS": int(self.memory_mb) * 2**20,
            "RLIMIT_CPU": int(math.ceil(self.timeout)) + 1,   # backstop; the parent deadline comes first
            "RLIMIT_FSIZE": int(self.max_file_mb) * 2**20,
            "RLIMIT_NOFILE": int(self.max_open_files),
            "RLIMIT_NPROC": int(self.max_processes),
            "RLIMIT_CORE": 0,
        }

    def _run_one(self, code: str, tests: str, *, isolation: str, unshare: str | None,
                 probe: bool = False, report: IsolationReport | None = None,
                 entry_point: str | Sequence[str] | None = None) -> ExecutionResult:
        import json

        if report is None:
            report = probe_isolation() if isolation == "namespaces" else _unisolated_report()
        uid = report.uid
        # As root with namespaces the candidate drops to `uid` inside; without namespaces the
        # process starts as that uid (when the interpreter allows it).
        map_ids = isolation == "namespaces" and os.geteuid() == 0 and uid is not None
        marker = uuid.uuid4().hex
        nonce = uuid.uuid4().hex + uuid.uuid4().hex
        workdir = tempfile.mkdtemp(prefix="evalnb-sbx-", dir=self.tmp_root)
        cgroup = os.path.join(report.pids_cgroup, f"evalnb-{marker}") if report.pids_cgroup else None
        res_r, res_w = os.pipe()
        job_fd = -1
        start = time.monotonic()
        proc = None
        try:
            hide, keep = _hidden_and_kept()
            hide = [h for h in hide if not (workdir + "/").startswith(h.rstrip("/") + "/")]
            job = {"nonce": nonce, "result_fd": res_w, "code": code, "tests": tests, "workdir": workdir,
                   "workdir_mb": self.workdir_mb, "isolation": isolation, "limits": self._limits(), "probe": probe,
                   "strict": bool(self.strict), "entry_point": entry_point,
                   "run_as": uid if map_ids else None, "hide": hide, "keep": keep}
            # The job (nonce, code, hidden tests) travels on an anonymous memory file that only this
            # sample inherits: no path on disk another sample could read (issue 13.3).
            job_fd = os.memfd_create("evalnb-job", os.MFD_CLOEXEC)
            data = json.dumps(job).encode("utf-8", "surrogatepass")
            view = memoryview(data)
            while view:
                view = view[os.write(job_fd, view):]
            os.lseek(job_fd, 0, os.SEEK_SET)
            ids: dict = {}
            if uid is not None and not map_ids:
                os.chown(workdir, uid, uid)
                ids = {"user": uid, "group": uid, "extra_groups": []}
            cmd = [sys.executable, "-s", "-B", "-P", str(HARNESS), str(job_fd)]
            if isolation == "namespaces":
                if unshare is None:
                    raise SandboxUnavailableError("the unshare command (util-linux) is missing")
                if map_ids:
                    cmd = [unshare, *ROOT_UNSHARE_FLAGS, "/bin/sh", "-c", _GATE, "sh", *cmd]
                else:
                    cmd = [unshare, *UNSHARE_FLAGS, *cmd]
            if cgroup is not None:
                os.mkdir(cgroup)
                with open(os.path.join(cgroup, "pids.max"), "w") as fh:
                    fh.write(str(int(self.max_processes)))
                # Join the cgroup before exec, so every descendant is counted from the first fork.
                cmd = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(cgroup, "cgroup.procs"), *cmd]
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8",
                   "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                   "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1", MARKER_VAR: marker}
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if map_ids else subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        pass_fds=(res_w, job_fd), cwd=workdir, env=env, start_new_session=True,
                                        close_fds=True, **ids)
            except OSError as exc:
                return ExecutionResult("sandbox_error", detail=f"could not start the sandbox: {exc}",
                                       duration_s=time.monotonic() - start)
            finally:
                os.close(res_w)
                os.close(job_fd)
                job_fd = -1
            if map_ids:
                failure = _map_ids(proc, uid, start + self.startup_timeout)
                if failure:
                    return ExecutionResult("sandbox_error" if proc.poll() is not None else "infra_timeout",
                                           detail=failure, duration_s=time.monotonic() - start)
            return self._supervise(proc, res_r, nonce, start, isolation, marker)
        except OSError as exc:
            return ExecutionResult("sandbox_error", detail=f"sandbox set-up failed: {exc}",
                                   duration_s=time.monotonic() - start)
        finally:
            if job_fd >= 0:
                os.close(job_fd)
            if proc is not None and proc.poll() is None:
                _kill(proc)
            if proc is not None and proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            os.close(res_r)
            if isolation == "none":
                _kill_marked(marker)
            if cgroup is not None:
                _remove_cgroup(cgroup)
            _remove_tree(workdir)

    def _supervise(self, proc: subprocess.Popen, res_r: int, nonce: str, start: float, isolation: str,
                   marker: str) -> ExecutionResult:
        out_fd = proc.stdout.fileno()
        for fd in (out_fd, res_r):
            os.set_blocking(fd, False)
        sel = selectors.DefaultSelector()
        sel.register(out_fd, selectors.EVENT_READ, "out")
        sel.register(res_r, selectors.EVENT_READ, "res")
        out, res = bytearray(), bytearray()
        truncated = False
        ready_at: float | None = None
        deadline = start + self.startup_timeout
        killed_for: str | None = None
        exited_at: float | None = None
        open_fds = 2
        try:
            while open_fds:
                now = time.monotonic()
                if ready_at is None and b"ready\n" in res:
                    ready_at = now
                    deadline = now + self.timeout
                if exited_at is None and killed_for is None and proc.poll() is not None:
                    # The harness exited. With namespaces it was the PID namespace's init, so
                    # everything in it is dead already; without, sweep orphans holding our pipes (X06).
                    exited_at = now
                    if isolation == "none":
                        _kill(proc)
                        _kill_marked(marker)
                if exited_at is not None and now >= exited_at + 2.0:
                    break
                if exited_at is None and now >= deadline:
                    if killed_for is None:
                        killed_for = "timeout" if ready_at is not None else "infra_timeout"
                        _kill(proc)
                        if isolation == "none":
                            _kill_marked(marker)
                        deadline = now + 2.0  # bounded wait for the pipes to close after the kill
                    else:
                        break                 # killed; do not hang on a stuck pipe
                wait = 0.25 if exited_at is not None else min(0.25, max(0.0, deadline - now))
                for key, _ in sel.select(timeout=wait):
                    try:
                        chunk = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        sel.unregister(key.fd)
                        open_fds -= 1
                        continue
                    if key.data == "out":
                        room = self.max_output_bytes - len(out)
                        if len(chunk) > room:
                            truncated = True
                        if room > 0:
                            out += chunk[:room]
                    elif len(res) < _RESULT_CAP:
                        res += chunk[:_RESULT_CAP - len(res)]
        finally:
            sel.close()
        if proc.poll() is None:
            _kill(proc)
        try:
            returncode = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL'd processes do not linger
            returncode = None
        duration = time.monotonic() - start
        text = out.decode("utf-8", "replace")
        run_s = None if ready_at is None else time.monotonic() - ready_at
        base = dict(output=text, output_truncated=truncated, duration_s=duration, returncode=returncode,
                    marker=marker, run_s=run_s)
        verdict = _parse_result(res, nonce)
        if verdict is not None and killed_for is None:
            outcome, checks, detail = verdict
            return ExecutionResult(outcome, checks=checks, detail=detail, **base)
        if killed_for == "timeout":
            return ExecutionResult("timeout", detail=f"killed after the {self.timeout:g} s deadline", **base)
        if killed_for == "infra_timeout":
            return ExecutionResult("infra_timeout", detail=f"the interpreter did not start within "
                                   f"{self.startup_timeout:g} s (machine overloaded?)", **base)
        if ready_at is None:
            return ExecutionResult("sandbox_error", detail=f"the harness failed to start (exit {returncode}): "
                                   f"{text[-300:]}", **base)
        if returncode is not None and returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return ExecutionResult("timeout", detail="CPU-time limit (RLIMIT_CPU) reached", **base)
        return ExecutionResult("failed", detail=f"the process ended (exit {returncode}) without reporting a "
                               "result after the tests (no result nonce)", **base)


_unisolated: IsolationReport | None = None


def _unisolated_report() -> IsolationReport:
    """Uid and process cap for ``isolation="none"`` (no namespace probe; cached)."""
    global _unisolated
    with _probe_lock:
        if _unisolated is None:
            uid, cgroup = None, None
            if os.geteuid() == 0:
                uid = NOBODY if _interpreter_runs_as(NOBODY) else None
                cgroup = None if uid is not None else _pids_cgroup_base()
            _unisolated = IsolationReport(False, uid=uid, process_limit="cgroup" if cgroup else "rlimit",
                                          pids_cgroup=cgroup, missing="namespaces (isolation='none' was requested)")
        return _unisolated


def _map_ids(proc: subprocess.Popen, uid: int, deadline: float) -> str:
    """Write the new user namespace's id maps (0 -> 0, uid -> uid) from the host, then let the
    waiting child go. Returns "" on success, else why it failed."""
    own = os.readlink("/proc/self/ns/user")
    ns_path = f"/proc/{proc.pid}/ns/user"
    while True:
        try:
            if os.readlink(ns_path) != own:
                break
        except OSError:
            return f"the sandbox exited before its user namespace was set up (exit {proc.poll()})"
        if proc.poll() is not None:
            return f"the sandbox exited before its user namespace was set up (exit {proc.returncode})"
        if time.monotonic() > deadline:
            return "the user namespace was not created within startup_timeout (machine overloaded?)"
        time.sleep(0.001)
    lines = f"0 0 1\n{int(uid)} {int(uid)} 1\n"
    try:
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{proc.pid}/{name}", "w") as fh:
                fh.write(lines)
        proc.stdin.write(b"go\n")
        proc.stdin.close()
    except OSError as exc:
        return f"could not map the sandbox's user ids: {exc}"
    return ""


def _parse_result(res: bytes, nonce: str) -> tuple[str, int, str] | None:
    import ast

    for line in bytes(res).decode("utf-8", "replace").splitlines():
        parts = line.split("\t", 3)
        if len(parts) == 4 and parts[0] == nonce and parts[1] in (*STATUSES, "probe_ok"):
            try:
                detail = ast.literal_eval(parts[3])
                checks = int(parts[2])
            except (ValueError, SyntaxError):
                return None
            return parts[1], checks, str(detail)
    return None


def run_samples(codes: Sequence[str], tests: Sequence[str], **settings) -> list[ExecutionResult]:
    """Convenience: ``Sandbox(**settings).run_many(zip(codes, tests))``.

    Examples
    --------
    >>> [r.status for r in run_samples(["x=1"], ["assert x == 1"], timeout=2)]   # doctest: +SKIP
    ['passed']
    """
    progress = settings.pop("progress", True)
    return Sandbox(**settings).run_many(zip(codes, tests), progress=progress)


__all__ = ["Sandbox", "ExecutionResult", "IsolationReport", "probe_isolation", "run_samples", "STATUSES",
           "VERDICTS"]
