"""A throwaway PostgreSQL cluster for the tests and bench_class_quiz.

``temporary_postgres()`` runs initdb into a temporary directory, starts the server
on a free loopback port (and a unix socket in that directory), yields a SQLAlchemy
URL for it and stops and removes everything on exit. The server binaries come from
``pg_config --bindir`` or /usr/lib/postgresql/*/bin (Debian's `postgresql`
package; `.ci/run` installs it). PostgreSQL refuses to run as root: as root, its
commands run as the `postgres` system user (runuser), which owns the directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

# make serve's own port picker: portpicker (1.6) asks the kernel for port 0 first, a port
# in the range every outgoing connection takes its local port from (a CI run lost a
# module's servers to that race); this one picks below that range.
from deploy.serve import free_port

# Enough for bench_class_quiz: 100 student processes and the board, one connection each.
MAX_CONNECTIONS = 250


class PostgresUnavailableError(RuntimeError):
    """The PostgreSQL server binaries are not installed (or cannot run here)."""


def server_bindir() -> Path:
    """The directory of initdb and pg_ctl; PostgresUnavailableError when there is none."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        completed = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        if completed.returncode == 0:
            candidates.append(Path(completed.stdout.strip()))
    # Newest version first: /usr/lib/postgresql/15/bin before /usr/lib/postgresql/13/bin.
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise PostgresUnavailableError(
        "PostgreSQL's server (initdb, pg_ctl) is not installed: apt-get install -y postgresql"
    )


def _as_server_user() -> list[str]:
    """The prefix that runs a command as the cluster's owner: `postgres` when we are root."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailableError(
            "running as root and runuser is missing: cannot start postgres"
        )
    try:
        pwd.getpwnam("postgres")
    except KeyError as error:
        raise PostgresUnavailableError(
            "running as root and there is no `postgres` user to run the server as"
        ) from error
    return [runuser, "-u", "postgres", "--"]


def _run(args: list[str], what: str) -> None:
    completed = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )


@contextlib.contextmanager
def temporary_postgres(durable: bool = True) -> Iterator[str]:
    """Start a fresh PostgreSQL cluster; yield ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``.

    `durable=False` turns fsync off (a test's data need not survive a power cut); the
    benchmark keeps PostgreSQL's defaults, as a deployment would.
    """
    bindir = server_bindir()
    as_owner = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="normapp-postgres-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    if as_owner:
        for path in (root, sockets):
            shutil.chown(path, "postgres", "postgres")
    started = False
    try:
        _run(
            as_owner
            + [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            "initdb",
        )
        port = free_port()
        settings = [
            f"-p {port}",
            f"-k {sockets}",
            "-c listen_addresses=127.0.0.1",
            f"-c max_connections={MAX_CONNECTIONS}",
        ]
        if not durable:
            settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        _run(
            as_owner
            + [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(settings),
                "start",
            ],
            f"pg_ctl start (log: {log})",
        )
        started = True
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(
                as_owner
                + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                check=False,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)
