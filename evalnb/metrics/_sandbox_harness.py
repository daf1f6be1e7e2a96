"""The program that runs inside the sandbox (stdlib only; never imported by the parent).

Run as ``python -s -B -P _sandbox_harness.py JOBFILE`` as the init process of fresh user, PID,
network and mount namespaces (see ``sandbox.py``). Order matters; every step before 5 is trusted:

1. read the job (nonce, code, tests, limits) from JOBFILE and unlink it, so the candidate never
   sees the nonce on disk, in argv or in the environment;
2. (namespaces) mount a size-capped tmpfs on the work directory, remount every other mount
   read-only, then drop every capability and set no_new_privs, so the candidate cannot undo it;
3. set rlimits (address space, CPU, file size, open files, processes);
4. snapshot the builtins and parse/rewrite the tests (below), then signal "ready";
5. exec the candidate, then the rewritten tests in a fresh namespace, and report the outcome
   with the nonce on a private pipe, then ``os._exit`` (no atexit hooks, no thread joins).

Why the rewrite: HumanEval-style tests compare with ``==``; a candidate returning an object whose
``__eq__`` always says True (X13), or one that patches ``builtins`` (X14), would pass. Every call
result and every comparison operand in the tests is checked to be a *plain value* (exact builtin
types, recursively) before anything compares it, and the tests see a snapshot of builtins taken
before the candidate ran. This defends against accidental or lazy hacks; a program that
deliberately introspects this process (frames, gc) to find the nonce is not stopped here -- the
namespaces are what protect the host from it.
"""
import ast
import builtins
import json
import os
import resource
import sys
import types

import collections as _col  # noqa: E402  (identity of the allowed stdlib value types, bound pre-candidate)
import datetime as _dt  # noqa: E402
import decimal as _dec  # noqa: E402

_PLAIN = frozenset({type(None), bool, int, float, complex, str, bytes, bytearray, range, type,
                    # stdlib value types without arbitrary payload (tests build them: datetime.date(...))
                    _dt.date, _dt.timedelta, _dt.timezone, _dec.Decimal})
_TZ_AWARE = frozenset({_dt.datetime, _dt.time})     # plain when tzinfo is None or a datetime.timezone
_DICTS = frozenset({dict, _col.OrderedDict, _col.defaultdict})
_DICT_VIEWS = frozenset(type(v) for v in ({}.keys(), {}.values(), {}.items()))
_SEQUENCES = frozenset({list, tuple, set, frozenset, _col.deque}) | _DICT_VIEWS
# Lazy iterables of builtin origin: whatever they yield is checked when a call consumes them.
_LAZY = frozenset(type(x) for x in (iter(()), iter([]), iter(""), iter({}), map(int, ()), filter(None, ()),
                                     zip(), enumerate(()), reversed([]), (i for i in ())))


class _Unplain(BaseException):
    """BaseException, so a test's own ``except Exception`` cannot swallow it."""


def _plain(value, _type=type, _id=id, _set=set, _plain_types=_PLAIN, _tz_aware=_TZ_AWARE, _tz=_dt.timezone,
           _dicts=_DICTS, _seqs=_SEQUENCES, _lazy=_LAZY, _keys=dict.keys, _values=dict.values,
           _append=list.append, _pop=list.pop, _add=set.add, _contains=set.__contains__, _unplain=_Unplain):
    """Return ``value`` if it is made only of allowed exact types, else raise _Unplain.

    Allowed: builtin scalars and containers, a few stdlib value types (date, datetime and time
    with no or a fixed-offset tzinfo, timedelta, Decimal, OrderedDict, defaultdict, deque), by
    exact type -- never a subclass, so no candidate-defined ``__eq__``/``__bool__`` can run.
    Every helper is bound as a default argument when this module loads, before any candidate code
    runs, so patching ``builtins`` later cannot change what this function does (X14).
    """
    stack, seen = [value], _set()
    while stack:
        v = _pop(stack)
        t = _type(v)
        if t in _plain_types or t in _lazy:
            continue
        if t in _tz_aware:
            if v.tzinfo is not None and _type(v.tzinfo) is not _tz:
                raise _unplain(f"{t.__qualname__} with a custom tzinfo is not a plain value")
            continue
        if t in _dicts:
            items = [*_keys(v), *_values(v)]
        elif t in _seqs:
            items = [*v]
        else:
            raise _unplain(f"value of type {t.__module__}.{t.__qualname__} is not a plain value "
                           "(strict comparison; pass strict=False for tests that compare custom objects)")
        if _contains(seen, _id(v)):
            continue
        _add(seen, _id(v))
        for item in items:
            _append(stack, item)
    return value


def _as_is(value):
    return value


def _wrap(node):
    return ast.copy_location(ast.Call(ast.Name("__evalnb_plain__", ast.Load()), [node], []), node)


class _Rewrite(ast.NodeTransformer):
    """Check every value the tests compare or test for truth before Python touches its dunders."""

    def visit_Call(self, node):
        self.generic_visit(node)
        return _wrap(node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        node.left = _wrap(node.left)
        node.comparators = [_wrap(c) for c in node.comparators]
        return node

    def visit_BoolOp(self, node):  # `a and b` calls a.__bool__ before any assert sees it
        self.generic_visit(node)
        node.values = [_wrap(v) for v in node.values]
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            node.operand = _wrap(node.operand)
        return node

    def visit_Assert(self, node):
        # assert T, MSG  ->  __evalnb_check__(plain(T), lineno): counts the check, fails on falsy T.
        call = ast.Call(ast.Name("__evalnb_check__", ast.Load()),
                        [_wrap(self.visit(node.test)), ast.Constant(node.lineno)], [])
        return ast.copy_location(ast.Expr(call), node)


def _mount_layer(workdir, workdir_mb, hide=(), keep=(), run_as=None):
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    ms_rdonly, ms_remount, ms_bind, ms_rec, nosuid_nodev = 1, 32, 4096, 16384, 2 | 4
    keep_flags = {"nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}

    def mount(src, target, fstype, flags, data=None):
        if libc.mount(src and src.encode(), target.encode(), fstype, flags, data):
            err = ctypes.get_errno()
            raise OSError(err, f"mount {target}: {os.strerror(err)}")

    # The work directory becomes a private size-capped tmpfs (X15: disk usage <= cap).
    owner = f",uid={int(run_as)},gid={int(run_as)}" if run_as is not None else ""
    mount("tmpfs", workdir, b"tmpfs", nosuid_nodev, f"size={int(workdir_mb)}m,mode=0700{owner}".encode())
    # Hide the real home directory (secrets, dotfiles: X11) behind an empty tmpfs, binding back
    # only what the interpreter needs (e.g. a pyenv under /root).
    stage = os.path.join(workdir, ".evalnb-stage")
    for hidden in hide:
        kept = [k for k in keep if k.startswith(hidden.rstrip("/") + "/") and os.path.isdir(k)]
        staged = []
        for i, path in enumerate(kept):
            spot = os.path.join(stage, str(i))
            os.makedirs(spot)
            mount(path, spot, None, ms_bind | ms_rec)
            staged.append((spot, path))
        mount("tmpfs", hidden, b"tmpfs", nosuid_nodev, b"size=1m,mode=0755")
        for spot, path in staged:
            os.makedirs(path, exist_ok=True)
            mount(spot, path, None, ms_bind | ms_rec)
            libc.umount2(spot.encode(), 2)  # MNT_DETACH
    # The host's /tmp (other samples' directories, other users' files) is replaced by an empty
    # tmpfs, and the work directory is bound at /tmp/work, reachable by the unprivileged uid
    # wherever the parent created it (issue 13.2/13.3). Kept interpreter paths under /tmp are bound
    # back through descriptors opened before the cover.
    kept_tmp = [k for k in keep if k.startswith("/tmp/") and os.path.isdir(k)]
    fds = [os.open(p, os.O_PATH | os.O_DIRECTORY) for p in (workdir, *kept_tmp)]
    mount("tmpfs", "/tmp", b"tmpfs", nosuid_nodev, b"size=1m,mode=1777")
    inside = "/tmp/work"
    for fd, path in zip(fds, (inside, *kept_tmp)):
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, ms_bind | ms_rec)
        os.close(fd)
    # A minimal /dev (issue 13.2): null, zero, random and urandom bound from the real one on an
    # otherwise empty tmpfs, plus the fd/stdin/stdout/stderr links; no kmsg, console, kvm, loop...
    stage = os.path.join(inside, ".evalnb-stage")
    os.makedirs(stage, exist_ok=True)
    devstage = os.path.join(stage, "dev")
    os.makedirs(devstage)
    mount("/dev", devstage, None, ms_bind | ms_rec)
    mount("tmpfs", "/dev", b"tmpfs", 2 | 8, b"size=64k,mode=0755")  # nosuid, noexec
    for name in ("null", "zero", "random", "urandom"):
        target = os.path.join("/dev", name)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o666))
        mount(os.path.join(devstage, name), target, None, ms_bind)
    for name, to in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                     ("stderr", "/proc/self/fd/2")):
        os.symlink(to, os.path.join("/dev", name))
    libc.umount2(devstage.encode(), 2)  # MNT_DETACH
    if os.path.isdir(stage):
        import shutil
        shutil.rmtree(stage, ignore_errors=True)

    mounts = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            mounts.append((point, fields[5].split(",")))
    for point, options in mounts:
        if point in (workdir, inside):
            continue
        flags = ms_remount | ms_bind | ms_rdonly
        for opt in options:
            flags |= keep_flags.get(opt, 0)
        if not os.path.lexists(point):  # covered by the minimal /dev (e.g. /dev/shm): unreachable
            continue
        mount(None, point, None, flags)

    # Drop every capability (bounding set first, so an execve cannot regain them) and forbid
    # privilege gain: the candidate cannot remount anything read-write again.
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP
    if run_as is not None:
        # Become the unprivileged id (65534, mapped to the host's 65534 by the parent): the
        # candidate then reads only what any user may read (no /etc/shadow), whatever mounts show.
        os.setgroups([])
        os.setresgid(run_as, run_as, run_as)
        os.setresuid(run_as, run_as, run_as)  # the kernel clears every capability here
        if os.getuid() != run_as or os.geteuid() != run_as:
            raise OSError("could not switch to the unprivileged uid")
    return inside

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    if libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()):
        raise OSError(ctypes.get_errno(), "capset failed")
    if libc.prctl(38, 1, 0, 0, 0):  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")


def _network_isolated():
    import socket

    try:
        socket.create_connection(("1.1.1.1", 53), timeout=1).close()
    except OSError:
        return True
    return False


def _set_limits(limits):
    for name, value in limits.items():
        res = getattr(resource, name)
        soft, hard = resource.getrlimit(res)
        value = int(value)
        new_hard = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(res, (new_hard, new_hard))


def _read_job(fd):
    """The job comes on an anonymous memory file (memfd) only this process holds: never a path
    another sample could glob (issue 13.3)."""
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return json.loads(b"".join(chunks).decode("utf-8"))


def _imported_names(tree):
    """Every module name an import statement of the tests names (at any depth)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names if a.name != "*"]
    return names


def _pristine_modules(names, trusted):
    """Private copies of the modules the tests import, taken before the candidate runs.

    Each module the tests import (and every module reachable from one through module attributes,
    e.g. ``os.path``) gets a fresh module object holding a copy of its namespace as it is now, so
    a candidate that patches ``math.isclose``, replaces ``sys.modules['math']`` or plants an import
    hook cannot change what the tests see (X14). Values (functions, classes) are the originals, so
    the candidate's results still compare with the tests' (same types).
    Returns ``{sys.modules key: private module}``.
    """
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except BaseException:  # a test importing a missing module fails later, as it would anyway
            pass
    copies = {}

    def copy(mod):
        got = copies.get(id(mod))
        if got is not None:
            return got[1]
        fresh = types.ModuleType(mod.__name__)
        copies[id(mod)] = (mod, fresh)
        ns = dict(trusted) if mod is builtins else dict(mod.__dict__)
        for k, v in ns.items():
            if type(v) is types.ModuleType:
                ns[k] = copy(v)
        fresh.__dict__.update(ns)
        return fresh

    for name in names:
        for i in range(name.count(".") + 1):
            mod = sys.modules.get(".".join(name.split(".")[:i + 1]))
            if type(mod) is types.ModuleType:
                copy(mod)
    copy(builtins)
    return {key: copies[id(mod)][1] for key, mod in list(sys.modules.items()) if id(mod) in copies}


def _import_from(table, real_import):
    """An ``__import__`` for the tests: their private module copies first, the real import else."""
    get = table.get

    def __import__(name, globals=None, locals=None, fromlist=(), level=0):
        if not level:
            mod, top = get(name), get(name.partition(".")[0])
            if mod is not None and top is not None:
                return mod if fromlist else top
        return real_import(name, globals, locals, fromlist, level)

    return __import__


def main():
    job = _read_job(int(sys.argv[1]))
    nonce, out_fd = job["nonce"], int(job["result_fd"])
    _write, _exit, _str, _repr = os.write, os._exit, str, repr
    streams, harness_pid, _getpid = (sys.stdout, sys.stderr), os.getpid(), os.getpid

    def report(outcome, detail="", checks=0):
        if _getpid() != harness_pid:  # a fork of the harness (candidate's os.fork) never reports
            _exit(0)
        for stream in streams:  # os._exit skips the interpreter's own flush
            try:
                stream.flush()
            except BaseException:
                pass
        # Formatted without json or any other patchable module (the candidate may have patched them).
        line = f"{nonce}\t{outcome}\t{_str(checks)}\t{_repr(_str(detail)[:2000])}\n"
        _write(out_fd, line.encode("utf-8", "backslashreplace"))
        _exit(0)

    try:
        if job["isolation"] == "namespaces":
            workdir = _mount_layer(job["workdir"], job["workdir_mb"], job.get("hide", ()), job.get("keep", ()),
                                   job.get("run_as"))
            os.environ["HOME"] = os.environ["TMPDIR"] = workdir
            if job.get("probe") and not _network_isolated():  # checked once, at the start-up probe
                report("sandbox_error", "network namespace is not isolated")
        else:
            workdir = job["workdir"]
        if job.get("probe"):
            report("probe_ok")
        os.chdir(workdir)
        _set_limits(job["limits"])
        trusted = dict(builtins.__dict__)
        parsed = ast.parse(job["tests"], "<tests>")
        tests_builtins = dict(trusted)
        modules = _pristine_modules(_imported_names(parsed), tests_builtins)
        tests_builtins["__import__"] = _import_from(modules, trusted["__import__"])
        modules["builtins"].__dict__["__import__"] = tests_builtins["__import__"]
        tree = _Rewrite().visit(parsed)
        tests_code = compile(ast.fix_missing_locations(tree), "<tests>", "exec")
        entry = job.get("entry_point")
        entry = [entry] if isinstance(entry, str) else list(entry or ())
    except Exception as exc:  # setup failure is ours, not the candidate's
        report("sandbox_error", f"harness setup failed: {type(exc).__name__}: {exc}")

    # Bind everything the verdict depends on now: after the candidate runs, module globals and
    # builtins may be patched (X14).
    plain, unplain, mem_error, base_exc, bool_ = _plain, _Unplain, MemoryError, BaseException, bool
    assertion_error, type_, str_ = AssertionError, type, str
    module_type, builtin_names = types.ModuleType, frozenset(trusted)
    settrace, setprofile = sys.settrace, sys.setprofile
    state = {"checks": 0}

    def check(ok, lineno):
        state["checks"] += 1
        if not bool_(ok):
            raise assertion_error(f"assertion at tests line {lineno} failed")

    def why(exc):
        try:
            return f"{type_(exc).__name__}: {str_(exc)[:500]}"
        except base_exc:  # an exception whose __str__ misbehaves
            return "an exception that cannot be printed"

    # The candidate gets a real module named __main__ (pickle and dataclasses look it up), which
    # also keeps `import __main__` away from this harness.
    candidate = types.ModuleType("__main__")
    candidate.__dict__["__builtins__"] = dict(trusted)
    sys.modules["__main__"] = candidate
    _write(out_fd, b"ready\n")
    try:
        exec(compile(job["code"], "<candidate>", "exec"), candidate.__dict__)
    except mem_error:
        report("oom", "MemoryError while defining the candidate")
    except base_exc as exc:  # SystemExit too: exiting before the tests is a failure (X12)
        report("failed", "candidate raised " + why(exc))

    settrace(None)  # a trace or profile hook the candidate set could skip the tests' lines (X14)
    setprofile(None)
    # The tests get a fresh namespace: the task's entry point(s) when named, else the candidate's
    # own definitions -- never its bindings of builtin names (``def abs``) or of modules (the tests
    # import their own pristine copies).
    defined = candidate.__dict__
    if entry:
        missing = [name for name in entry if name not in defined]
        if missing:
            report("failed", f"the candidate does not define the entry point {missing[0]!r}")
        tests_ns = {name: defined[name] for name in entry}
    else:
        tests_ns = {}
        for k, v in list(defined.items()):
            if (k.startswith("__") and k.endswith("__")) or k in builtin_names or type_(v) is module_type:
                continue
            tests_ns[k] = v
    tests_ns.update({"__name__": "__main__", "__builtins__": tests_builtins,
                     "__evalnb_plain__": plain if job.get("strict", True) else _as_is,
                     "__evalnb_check__": check})
    try:
        exec(tests_code, tests_ns)
    except mem_error:
        report("oom", "MemoryError while running the tests", state["checks"])
    except unplain as exc:
        report("failed", f"strict comparison: {exc}", state["checks"])
    except base_exc as exc:
        report("failed", why(exc), state["checks"])
    if state["checks"] == 0:
        report("sandbox_error", "the tests ran no assert statement (a check() defined but never called?)")
    report("passed", "", state["checks"])


if __name__ == "__main__":
    main()
