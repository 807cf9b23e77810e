"""The authorization matrix: every route of ``app.url_map`` and every live action, tried by every role on an
event in every stage, against the expectations in ``tests/authorization_expectations.py``; a route or action
missing there fails. The events and how a cell is performed are in ``tests/authorization_world.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from forum.live import actions
from tests.authorization_expectations import (
    ACTIONS,
    ROUTES,
    ActionDoor,
    ActorKind,
    Case,
    Outcome,
    Role,
    Stage,
    matches,
    socket_door,
)
from tests.authorization_world import World, build_world, fill, form, payload, url

IGNORED_METHODS = {"HEAD", "OPTIONS"}
EXPECTATIONS = "tests/authorization_expectations.py"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, password_hash: str
) -> Iterator[World]:
    """An event in every stage, the people of every role, and a way back to this state after each cell."""
    built = build_world(tmp_path_factory.mktemp("authorization"), sqlite_template, password_hash)
    yield built
    built.close()


# --- Nothing is left out ----------------------------------------------------------------------------------


def test_every_route_has_an_expected_outcome(world: World) -> None:
    routes = {
        f"{method} {rule.rule}"
        for rule in world.app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in IGNORED_METHODS
    }
    missing, stale = sorted(routes - ROUTES.keys()), sorted(ROUTES.keys() - routes)
    assert not missing, (
        f"These routes have no expected outcome per role and event stage. Add each to ROUTES in "
        f"{EXPECTATIONS}, saying who may use it in which stages:\n  " + "\n  ".join(missing)
    )
    assert not stale, f"ROUTES in {EXPECTATIONS} names routes that no longer exist:\n  " + "\n  ".join(stale)


def test_every_live_action_has_an_expected_outcome() -> None:
    table = {str(name) for name in actions.ACTIONS}
    missing, stale = sorted(table - ACTIONS.keys()), sorted(ACTIONS.keys() - table)
    assert not missing, (
        f"These live actions have no expected outcome per role and event stage. Add each to ACTIONS in "
        f"{EXPECTATIONS}, saying who may do it in which stages:\n  " + "\n  ".join(missing)
    )
    assert not stale, f"ACTIONS in {EXPECTATIONS} names actions that no longer exist: {stale}"


# --- Every route and action, for every role and stage -----------------------------------------------------

Cell = tuple[Stage, Role, Outcome, Outcome, str]


def _fail_with(title: str, wrong: list[Cell]) -> None:
    if wrong:
        lines = [
            f"  {stage:<11} {role:<18} expected {expected:<9} got {observed:<9} ({detail})"
            for stage, role, expected, observed, detail in wrong
        ]
        pytest.fail(f"{title}: outcomes differ from {EXPECTATIONS}\n" + "\n".join(lines), pytrace=False)


def _route_params() -> Iterator[Any]:
    for key, entry in ROUTES.items():
        if isinstance(entry, ActionDoor):
            for action in ACTIONS:
                yield pytest.param(key, entry, action, id=f"{key} [{action}]")
        else:
            for case in entry if isinstance(entry, tuple) else (entry,):
                yield pytest.param(key, case, None, id=f"{key} [{case.label}]" if case.label else key)


def _route_cell(
    world: World,
    key: str,
    entry: Case | ActionDoor,
    action: str | None,
    role: Role,
    stage: Stage,
    values: Mapping[str, Any],
) -> tuple[Outcome, Outcome, str]:
    """What one cell should come to, and what it came to."""
    method, rule = key.split(" ", 1)
    if isinstance(entry, ActionDoor):
        assert action is not None
        door = entry.door(role, stage, action)
        expected = door if isinstance(door, Outcome) else ACTIONS[action].rule(door, stage)
        if isinstance(door, ActorKind) and expected is not Outcome.OK:
            expected = Outcome.REFUSED  # a form door answers every refusal on the page the form came from
        address = url(rule, {"name": action}, values)
        data: dict[str, str] | None = form(payload(ACTIONS[action].payload, values))
    else:
        expected = entry.rule(role, stage)
        address = url(rule, entry.params, values, entry.query)
        data = None
        if entry.data is not None:
            data = {fill(name, values): fill(value, values) for name, value in entry.data.items()}
    observed, detail = world.request(role, method, address, data)
    return expected, observed, detail


@pytest.mark.parametrize(("key", "entry", "action"), list(_route_params()))
def test_route(world: World, key: str, entry: Case | ActionDoor, action: str | None) -> None:
    """Every role, on the event of every stage, gets what ROUTES says (and never a server error)."""
    wrong = []
    for stage in Stage:
        for role in Role:
            values = world.values_for(role, stage)
            expected, observed, detail = _route_cell(world, key, entry, action, role, stage, values)
            if not matches(expected, observed):
                wrong.append((stage, role, expected, observed, detail))
    _fail_with(f"{key} {action or ''}".strip(), wrong)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_socket_action(world: World, action: str) -> None:
    """Every role's live connection, to the room of every stage, gets the ack ACTIONS says."""
    wrong = []
    for stage in Stage:
        for role in Role:
            door = socket_door(role, stage, action)
            expected = door if isinstance(door, Outcome) else ACTIONS[action].rule(door, stage)
            data = payload(ACTIONS[action].payload, world.values_for(role, stage))
            observed, detail = world.emit(role, stage, action, data)
            if not matches(expected, observed):
                wrong.append((stage, role, expected, observed, detail))
    _fail_with(f"socket {action}", wrong)


# --- The same, naming rows of another event ---------------------------------------------------------------

# Each stage's event borrows the ids of an event holding the same things (a comment exists only once a record
# was published, something said in the session only once it ran). The owner owns both.
FOREIGN = {
    Stage.DRAFT: Stage.SCHEDULED,
    Stage.SCHEDULED: Stage.DRAFT,
    Stage.LIVE: Stage.ENDED,
    Stage.ENDED: Stage.LIVE,
    Stage.PUBLISHED: Stage.UNPUBLISHED,
    Stage.UNPUBLISHED: Stage.PUBLISHED,
}
ROW_IDS = frozenset(
    {"q1", "q2", "q3", "moderator", "kimmy", "hong", "scribe", "spare", "prepared", "contribution"}
    | {"pending", "approved", "duplicate", "poll", "option", "comment"}
)


def _names_rows(*templates: object) -> bool:
    return any(
        set(re.findall(r"\{(\w+)\}", template)) & ROW_IDS
        for template in templates
        if isinstance(template, str)
    )


def _foreign_values(world: World, role: Role, stage: Stage) -> dict[str, Any]:
    foreign = world.values[FOREIGN[stage]]
    return {**world.values_for(role, stage), **{name: foreign[name] for name in ROW_IDS}}


def _foreign_route_params() -> Iterator[Any]:
    for key, entry in ROUTES.items():
        for case in entry if isinstance(entry, tuple) else (entry,) if isinstance(entry, Case) else ():
            # Field names are left out: a form ignores fields it does not have (answer_<id> of another event).
            if _names_rows(*case.params.values(), *(case.data or {}).values()):
                yield pytest.param(key, case, id=f"{key} [{case.label}]" if case.label else key)


@pytest.mark.parametrize(("key", "case"), list(_foreign_route_params()))
def test_route_with_ids_of_another_event(world: World, key: str, case: Case) -> None:
    """Whoever may use a route on their event is refused when it names a row of another event, even one of
    their own: every lookup is "in this event"."""
    wrong = []
    for stage in Stage:
        for role in Role:
            if case.rule(role, stage) is Outcome.OK:
                values = _foreign_values(world, role, stage)
                _expected, observed, detail = _route_cell(world, key, case, None, role, stage, values)
                if not matches(Outcome.DENY, observed):
                    wrong.append((stage, role, Outcome.DENY, observed, detail))
    _fail_with(f"{key} naming rows of another event", wrong)


@pytest.mark.parametrize("action", [name for name, a in ACTIONS.items() if _names_rows(*a.payload.values())])
def test_socket_action_with_ids_of_another_event(world: World, action: str) -> None:
    """Whoever may do an action in their room is refused when it names a row of another event."""
    wrong = []
    for stage in Stage:
        for role in Role:
            door = socket_door(role, stage, action)
            if isinstance(door, ActorKind) and ACTIONS[action].rule(door, stage) is Outcome.OK:
                data = payload(ACTIONS[action].payload, _foreign_values(world, role, stage))
                observed, detail = world.emit(role, stage, action, data)
                if not matches(Outcome.DENY, observed):
                    wrong.append((stage, role, Outcome.DENY, observed, detail))
    _fail_with(f"socket {action} naming rows of another event", wrong)
