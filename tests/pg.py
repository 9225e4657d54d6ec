"""A throwaway PostgreSQL cluster for tests that load into real PostgreSQL.

PostgreSQL is installed from Debian's packages if it is missing; the cluster runs as the
`postgres` user when the suite runs as root, on a free loopback port with trust auth, and is
removed afterwards. Durability is off (`fsync`, `synchronous_commit`, `full_page_writes`): a
cluster lives for one test or file, and a crash loses nothing a test needs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

PSQL = ("psql", "-h", "127.0.0.1", "-U", "postgres")


def target_config(port: int, schema: str, **settings: Any) -> dict[str, Any]:
    """A PostgreSQL target's settings for the throwaway cluster (database and extras given)."""
    return {
        "host": "127.0.0.1",
        "port": port,
        "user": "postgres",
        "password": "unused",
        "default_target_schema": schema,
        **settings,
    }


def postgres_bin() -> Path:
    """The directory of `initdb` and `pg_ctl`, installing PostgreSQL if needed."""
    found = shutil.which("initdb") or next(
        iter(glob.glob("/usr/lib/postgresql/*/bin/initdb")), None
    )
    if not found:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"], check=True, capture_output=True
        )
        found = next(iter(glob.glob("/usr/lib/postgresql/*/bin/initdb")))
    return Path(found).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def postgres_cluster(*databases: str) -> Iterator[int]:
    """Start a cluster with `databases` created; yields its port, stops and deletes it after."""
    binaries = postgres_bin()
    directory = Path(tempfile.mkdtemp(prefix="tap-moco-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(directory, "postgres")
    data, port = directory / "data", free_port()
    subprocess.run(
        [*as_postgres, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    pg_ctl = [*as_postgres, str(binaries / "pg_ctl"), "-D", str(data), "-w"]
    subprocess.run(
        [*pg_ctl, "-o", options, "-l", str(directory / "log"), "start"],
        check=True,
        capture_output=True,
    )
    try:
        for database in databases:
            subprocess.run(
                [*PSQL, "-p", str(port), "-c", f"create database {database}"],
                check=True,
                capture_output=True,
            )
        yield port
    finally:
        subprocess.run([*pg_ctl, "stop", "-m", "fast"], check=False, capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


def psql(port: int, sql: str, database: str = "moco") -> str:
    """The unaligned, tuples-only output of one SQL statement."""
    return subprocess.run(
        [*PSQL, "-p", str(port), "-d", database, "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
