"""Configuration from FORUM_* variables, and the secret key that is generated once, never hard-coded."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from forum.config import Settings, normalise_database_url
from forum.db import Database


def test_secret_key_is_generated_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("FORUM_SECRET_KEY", raising=False)
    first = Settings.from_environ(tmp_path)
    second = Settings.from_environ(tmp_path)
    key_file = tmp_path / "secret_key"
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    other = Settings.from_environ(tmp_path / "elsewhere")
    assert other.secret_key != first.secret_key


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_SECRET_KEY", "from-env")
    monkeypatch.setenv("FORUM_PORT", "5123")
    monkeypatch.setenv("FORUM_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    monkeypatch.setenv("FORUM_MESSAGE_QUEUE", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FORUM_ALLOWED_ORIGINS", "https://forum.example.org, https://stage.example.org/")
    settings = Settings.from_environ(tmp_path)
    assert settings.secret_key == "from-env"
    assert settings.port == 5123
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/test"
    assert settings.message_queue == "redis://127.0.0.1:6379/0"
    assert settings.allowed_origins == ["https://forum.example.org", "https://stage.example.org"]
    assert not (tmp_path / "secret_key").exists()


def test_defaults_keep_a_fresh_clone_runnable(tmp_path, monkeypatch):
    for name in ("FORUM_PORT", "FORUM_DATABASE_URL", "FORUM_ALLOWED_ORIGINS", "FORUM_MESSAGE_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_environ(tmp_path)
    assert settings.port == 5000
    assert settings.database_url == f"sqlite:///{tmp_path / 'forum.sqlite3'}"
    assert settings.message_queue is None
    assert settings.allowed_origins == ["http://127.0.0.1:5000", "http://localhost:5000"]
    assert "*" not in settings.allowed_origins


def test_bad_port_is_reported_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_PORT", "eighty")
    with pytest.raises(ValueError, match="FORUM_PORT must be a whole number"):
        Settings.from_environ(tmp_path)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


_PROBE = """
import gc, sys
from forum.serving import tune_garbage_collection
before = gc.get_threshold()
tune_garbage_collection(int(sys.argv[1]))
print(before[0], gc.get_threshold()[0], gc.get_freeze_count())
"""


@pytest.mark.parametrize(
    ("setting", "young", "frozen"), [(None, 10_000, True), ("25000", 25_000, True), ("0", 700, False)]
)
def test_the_served_process_tunes_its_cycle_collector(tmp_path, monkeypatch, setting, young, frozen):
    """A crowd's connections set off full collections of a growing heap, and no message goes out meanwhile:
    the server freezes what startup built and collects young objects less often (FORUM_GC_THRESHOLD; 0 leaves
    Python's defaults). Run in a child process, so this test's own collector stays as it was."""
    if setting is None:
        monkeypatch.delenv("FORUM_GC_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("FORUM_GC_THRESHOLD", setting)
    threshold = Settings.from_environ(tmp_path).flask_config()["GC_THRESHOLD"]
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, str(threshold)], capture_output=True, text=True, check=True, timeout=60
    )
    python_default, now, freeze_count = map(int, probe.stdout.split())
    assert python_default == 700
    assert now == young
    assert (freeze_count > 0) is frozen


@pytest.mark.parametrize(
    ("environ", "size", "overflow"),
    [({}, 30, 0), ({"FORUM_DB_POOL_SIZE": "12", "FORUM_DB_MAX_OVERFLOW": "4"}, 12, 4)],
)
def test_the_postgresql_pool_keeps_its_connections(tmp_path, monkeypatch, environ, size, overflow):
    """Hundreds of live actions at once: SQLAlchemy's default pool (5 kept, 10 more) opened and closed a
    PostgreSQL connection for every action beyond the fifth. The pool keeps FORUM_DB_POOL_SIZE connections
    and by default opens none beyond them (creating the engine connects to nothing)."""
    for name in ("FORUM_DB_POOL_SIZE", "FORUM_DB_MAX_OVERFLOW"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = Settings.from_environ(tmp_path).flask_config()
    database = Database(
        "postgresql+psycopg://u@127.0.0.1:9/db",
        pool_size=config["DB_POOL_SIZE"],
        max_overflow=config["DB_MAX_OVERFLOW"],
    )
    assert (database.engine.pool.size(), database.engine.pool._max_overflow) == (size, overflow)
    sqlite = Database(f"sqlite:///{tmp_path / 'x.db'}", pool_size=size, max_overflow=overflow)
    assert sqlite.engine.pool.size() == 5  # SQLAlchemy's own: SQLite writes one transaction at a time


@pytest.mark.parametrize(("name", "value"), [("FORUM_DB_POOL_SIZE", "0"), ("FORUM_DB_MAX_OVERFLOW", "-1")])
def test_a_pool_setting_out_of_range_is_refused_by_name(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings.from_environ(tmp_path)
