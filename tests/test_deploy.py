"""The deployment files (compose.yaml, Dockerfile, docs/deploy.md) name only settings the app reads, and
hold together: the app service reaches the database and the message queue it is given, and several workers
are never started without the queue."""

from __future__ import annotations

import re

import yaml

from forum import PROJECT_ROOT
from forum.workers import check_environment, worker_count

COMPOSE = PROJECT_ROOT / "compose.yaml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DEPLOY = PROJECT_ROOT / "docs" / "deploy.md"
_VARIABLE = re.compile(r"\bFORUM_[A-Z0-9_]+\b")


def _read_by_the_app() -> set[str]:
    names: set[str] = set()
    for path in [*(PROJECT_ROOT / "forum").rglob("*.py"), PROJECT_ROOT / "app.py"]:
        names.update(_VARIABLE.findall(path.read_text(encoding="utf-8")))
    return names


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _default(value: str) -> str:
    """``${NAME:-default}`` as compose would fill it when NAME is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_every_setting_named_for_deployment_is_one_the_app_reads():
    known = _read_by_the_app() | {"FORUM_TEST_DATABASE_URL", "FORUM_TEST_REDIS_URL"}
    for path in (COMPOSE, DOCKERFILE, DEPLOY):
        unknown = set(_VARIABLE.findall(path.read_text(encoding="utf-8"))) - known
        assert not unknown, f"{path.name} names settings the app does not read: {sorted(unknown)}"


def test_the_app_service_reaches_the_database_and_queue_of_this_file():
    compose = _compose()
    services = compose["services"]
    assert {"app", "postgres", "redis"} <= set(services)
    env = {name: _default(str(value)) for name, value in services["app"]["environment"].items()}
    assert env["FORUM_DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in env["FORUM_DATABASE_URL"]
    assert env["FORUM_MESSAGE_QUEUE"].startswith("redis://redis:6379")
    postgres = services["postgres"]["environment"]
    user, password = postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"]
    assert (
        env["FORUM_DATABASE_URL"] == f"postgresql://{user}:{password}@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    # The workers it starts by default pass the supervisor's own checks.
    count = worker_count(env)
    assert count > 1
    check_environment(env, count)
    assert set(services["app"]["depends_on"]) == {"postgres", "redis"}


def test_the_secret_key_must_be_given_not_defaulted():
    env = _compose()["services"]["app"]["environment"]
    assert str(env["FORUM_SECRET_KEY"]).startswith("${FORUM_SECRET_KEY:?")


def test_the_image_upgrades_the_database_then_serves_with_the_production_entry():
    text = DOCKERFILE.read_text(encoding="utf-8")
    command = re.search(r"^CMD (.+)$", text, re.M)
    assert command is not None
    assert "forum upgrade" in command.group(1) and "python app.py" in command.group(1)
    assert "constraints.txt" in text  # the image installs the versions the tests ran with
    assert re.search(r"^USER (?!root)\w+", text, re.M)
