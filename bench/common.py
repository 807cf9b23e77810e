"""Shared pieces of the benchmarks: throwaway databases, the in-process app, machine facts, statistics."""

from __future__ import annotations

import math
import os
import platform
import secrets
import sqlite3
import subprocess
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text

from forum import create_app, migrate
from forum.config import normalise_database_url

SQLITE = "sqlite"


def clean_environment() -> None:
    """Settings from the caller's shell must not leak into the in-process app (as in tests/conftest.py)."""
    for name in list(os.environ):
        if name.startswith("FORUM_"):
            del os.environ[name]


def backend_name(database: str) -> str:
    return SQLITE if database == SQLITE else "postgresql"


def _with_search_path(base_url: str, schema: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def throwaway_database(database: str, workdir: Path) -> Iterator[str]:
    """A URL to an empty database: a new SQLite file, or a new PostgreSQL schema dropped at the end."""
    if database == SQLITE:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    base_url = normalise_database_url(database)
    if not base_url.startswith("postgresql"):
        raise SystemExit(f"--database takes 'sqlite' or a postgresql:// URL, not {database!r}")
    schema = f"forum_bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def make_app(database_url: str, workdir: Path) -> Flask:
    """The app in this process on ``database_url``, migrated to head; no background tally loop."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret",
            "INSTANCE_PATH": workdir / "instance-inprocess",
            "SOCKETIO_ASYNC_MODE": "threading",
            "TALLY_INTERVAL": 0,
        }
    )
    migrate.upgrade(app.extensions["forum.db"].engine)
    return app


def postgres_version(database: str) -> str:
    engine = create_engine(normalise_database_url(database))
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT version()")).scalar())
    finally:
        engine.dispose()


def machine(databases: list[str]) -> dict[str, Any]:
    """Facts about this machine and the database servers, for the record."""
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout
    total_gb = next((line.split()[1] for line in memory.splitlines() if line.startswith("Mem:")), "?")
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "memory_gb": total_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    for database in databases:
        if database != SQLITE:
            facts["postgresql"] = postgres_version(database)
    return facts


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def display_width(value: str) -> int:
    """Terminal columns: East Asian wide and full-width characters (Hangul, Han) take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)


def table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with left-aligned first column and right-aligned numbers."""
    cells = [[str(c) for c in row] for row in [header, *rows]]
    widths = [max(display_width(c) for c in column) for column in zip(*cells, strict=True)]

    def pad(cell: str, width: int, left: bool) -> str:
        fill = " " * (width - display_width(cell))
        return cell + fill if left else fill + cell

    def line(row: list[str]) -> str:
        return "  ".join(pad(c, w, i == 0) for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children: the workers of a ``FORUM_WORKERS`` supervisor (Linux, /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(child) for child in children)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (a supervisor and its workers)."""
    return sum(cpu_seconds(member) for member in process_tree(pid))
