"""The live room's actions, defined once for both doors: Socket.IO events and plain HTML forms.

Each entry parses a payload (JSON from a socket, strings from a form), then calls one service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from forum.errors import InvalidInput
from forum.live.protocol import Action
from forum.services import capture, floor, live_session, live_view
from forum.services.live_access import LiveActor

Payload = Mapping[str, Any]
Handler = Callable[[Session, LiveActor, Payload], Any]


def _int(payload: Payload, name: str, *, required: bool = True) -> int | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"'{name}' is required.", fields={name: "Required."})
        return None
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput(f"'{name}' must be a positive whole number.", fields={name: "Not a number."})
    return value


def _text(payload: Payload, name: str) -> str:
    value = payload.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be text.", fields={name: "Not text."})
    return value


def _flag(payload: Payload, name: str) -> bool:
    value = payload.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"1", "true", "on", "yes", "0", "false", "off", "no", ""}:
        return value.lower() in {"1", "true", "on", "yes"}
    if value is None:
        return False
    raise InvalidInput(f"'{name}' must be true or false.", fields={name: "Not a yes/no value."})


def _optional_text(payload: Payload, name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be text.", fields={name: "Not text."})
    return value or None


ACTIONS: dict[Action, Handler] = {
    Action.SYNC: lambda s, a, p: live_view.snapshot(s, a),
    Action.SESSION_START: lambda s, a, p: live_session.start_session(s, a),
    Action.SESSION_END: lambda s, a, p: live_session.end_session(s, a),
    Action.QUESTION_GOTO: lambda s, a, p: live_session.goto_question(s, a, _int(p, "question_id")),
    Action.QUESTION_NEXT: lambda s, a, p: live_session.step_question(s, a, +1),
    Action.QUESTION_PREVIOUS: lambda s, a, p: live_session.step_question(s, a, -1),
    Action.QUESTION_ADD: lambda s, a, p: {
        "question_id": live_session.add_question_live(
            s, a, _text(p, "text"), make_current=_flag(p, "make_current")
        )
    },
    Action.FLOOR_GIVE: lambda s, a, p: floor.give_floor(s, a, _int(p, "participant_id")),
    Action.FLOOR_RELEASE: lambda s, a, p: floor.release_floor(s, a),
    Action.PROMPT_SAVE: lambda s, a, p: {
        "contribution_id": live_session.save_prompt(s, a, _int(p, "question_id"), _text(p, "text"))
    },
    Action.FEED_SET: lambda s, a, p: live_session.set_feed(s, a, _flag(p, "enabled")),
    Action.CONTRIBUTION_ADD: lambda s, a, p: {
        "contribution_id": capture.add_contribution(
            s,
            a,
            participant_id=_int(p, "participant_id"),
            text=_text(p, "text"),
            kind=_optional_text(p, "kind") or "answer",
            question_id=_int(p, "question_id", required=False),
            client_id=_optional_text(p, "client_id"),
        )
    },
    Action.CONTRIBUTION_EDIT: lambda s, a, p: capture.edit_contribution(
        s, a, _int(p, "contribution_id"), _text(p, "text")
    ),
    Action.ANSWER_SAVE: lambda s, a, p: {
        "contribution_id": capture.save_written_answer(s, a, _int(p, "question_id"), _text(p, "text"))
    },
}


def parse_action(name: str) -> Action:
    """The Action called ``name``, or a clear refusal."""
    try:
        return Action(name)
    except ValueError:
        raise InvalidInput(f"Unknown action '{name}'.", code="unknown_action") from None


def run(session: Session, actor: LiveActor, name: str, payload: Any) -> Any:
    """Parse and perform one action for ``actor``; raises DomainError to refuse."""
    action = parse_action(name)
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise InvalidInput("The payload must be an object (a JSON dictionary).", code="bad_payload")
    return ACTIONS[action](session, actor, payload)
