"""The live room's actions, defined once for both doors: Socket.IO events and plain HTML forms.

Each entry parses a payload (JSON from a socket, strings from a form), then calls one service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from forum.access import Actor
from forum.audience import asking, moderation, polls
from forum.captions import live as captions_live
from forum.errors import InvalidInput
from forum.fields import parse_flag, parse_id, parse_optional_flag
from forum.live import capture, floor, proceedings, snapshots
from forum.protocol import Action

Payload = Mapping[str, Any]
Handler = Callable[[Session, Actor, Payload], Any]
Default = TypeVar("Default")


def _int(payload: Payload, name: str, *, required: bool = True) -> int | None:
    """An id (see fields.parse_id for the one rule every door follows)."""
    return parse_id(payload.get(name), field=name, required=required)


def _text(payload: Payload, name: str) -> str:
    value = payload.get(name, "")
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be text.", fields={name: "Not text."})
    return value


def _flag(payload: Payload, name: str) -> bool:
    """A required flag (see fields.parse_flag for the one rule every door follows)."""
    return parse_flag(payload.get(name), field=name)


def _optional_flag(payload: Payload, name: str, default: Default) -> bool | Default:
    """An optional flag: missing or null means ``default`` (an unchecked checkbox posts nothing)."""
    return parse_optional_flag(payload.get(name), field=name, default=default)


def _optional_int(payload: Payload, name: str) -> int | None:
    value = payload.get(name)
    if isinstance(value, str) and value.strip() == "":
        return None
    return _int(payload, name, required=False)


def _optional_text(payload: Payload, name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be text.", fields={name: "Not text."})
    return value or None


ACTIONS: dict[Action, Handler] = {
    Action.SYNC: lambda s, a, p: snapshots.snapshot(s, a),
    Action.BOARD_PAGE: lambda s, a, p: snapshots.board_page(
        s, a, p.get("sort"), _optional_int(p, "offset") or 0
    ),
    Action.SESSION_START: lambda s, a, p: proceedings.start_session(s, a),
    Action.SESSION_END: lambda s, a, p: proceedings.end_session(s, a),
    Action.QUESTION_GOTO: lambda s, a, p: proceedings.goto_question(s, a, _int(p, "question_id")),
    Action.QUESTION_NEXT: lambda s, a, p: proceedings.step_question(s, a, +1),
    Action.QUESTION_PREVIOUS: lambda s, a, p: proceedings.step_question(s, a, -1),
    Action.QUESTION_ADD: lambda s, a, p: {
        "question_id": proceedings.add_question_live(
            s, a, _text(p, "text"), make_current=_optional_flag(p, "make_current", False)
        )
    },
    Action.FLOOR_GIVE: lambda s, a, p: floor.give_floor(s, a, _int(p, "participant_id")),
    Action.FLOOR_RELEASE: lambda s, a, p: floor.release_floor(s, a),
    Action.PROMPT_SAVE: lambda s, a, p: {
        "contribution_id": proceedings.save_prompt(s, a, _int(p, "question_id"), _text(p, "text"))
    },
    Action.FEED_SET: lambda s, a, p: proceedings.set_feed(s, a, _flag(p, "enabled")),
    Action.PROJECTOR_KEEP: lambda s, a, p: proceedings.keep_on_projector(s, a, _flag(p, "keep")),
    Action.CAPTIONS_PROJECTOR: lambda s, a, p: captions_live.set_projector(s, a, _flag(p, "on")),
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
    # The audience
    Action.AUDIENCE_ASK: lambda s, a, p: asking.ask(
        s,
        a,
        text=p.get("text"),
        display_name=p.get("display_name"),
        about_current=_optional_flag(p, "about_current", False),
        client_id=p.get("client_id"),
    ),
    Action.AUDIENCE_EDIT: lambda s, a, p: asking.edit(
        s, a, _int(p, "question_id"), text=p.get("text"), display_name=p.get("display_name")
    ),
    Action.AUDIENCE_WITHDRAW: lambda s, a, p: asking.withdraw(s, a, _int(p, "question_id")),
    Action.AUDIENCE_VOTE: lambda s, a, p: asking.vote(
        s, a, _int(p, "question_id"), up=_flag(p, "up"), client_id=p.get("client_id")
    ),
    Action.AUDIENCE_REPORT: lambda s, a, p: asking.report(
        s, a, _int(p, "question_id"), reason=p.get("reason"), client_id=p.get("client_id")
    ),
    Action.POLL_VOTE: lambda s, a, p: polls.vote(
        s, a, _int(p, "poll_id"), _int(p, "option_id"), p.get("client_id")
    ),
    # Moderating the audience
    Action.MODERATION_APPROVE: lambda s, a, p: moderation.approve(s, a, _int(p, "question_id")),
    Action.MODERATION_REJECT: lambda s, a, p: moderation.reject(
        s, a, _int(p, "question_id"), p.get("reason")
    ),
    Action.MODERATION_ANSWERED: lambda s, a, p: moderation.mark_answered(
        s, a, _int(p, "question_id"), _flag(p, "answered")
    ),
    Action.MODERATION_PIN: lambda s, a, p: moderation.pin(s, a, _int(p, "question_id"), _flag(p, "pinned")),
    Action.MODERATION_HIGHLIGHT: lambda s, a, p: moderation.highlight(s, a, _optional_int(p, "question_id")),
    Action.MODERATION_MERGE: lambda s, a, p: moderation.merge(
        s, a, _int(p, "question_id"), _int(p, "into_id")
    ),
    Action.MODERATION_BLOCK: lambda s, a, p: moderation.block_author(
        s, a, _int(p, "question_id"), _flag(p, "blocked")
    ),
    Action.MODERATION_SETTINGS: lambda s, a, p: moderation.update_settings(
        s,
        a,
        questions_enabled=_optional_flag(p, "questions_enabled", None),
        premoderation=_optional_flag(p, "premoderation", None),
        word_list=_text(p, "word_list") if "word_list" in p else None,
        report_threshold=_optional_int(p, "report_threshold"),
    ),
    Action.POLL_OPEN: lambda s, a, p: {
        "poll_id": polls.open_poll(
            s,
            a,
            question_id=_optional_int(p, "question_id"),
            options=p.get("options"),
            phase=_optional_text(p, "phase") or "single",
            prompt=p.get("prompt"),
        )
    },
    Action.POLL_CLOSE: lambda s, a, p: polls.close_poll(s, a, _int(p, "poll_id")),
}


def parse_action(name: str) -> Action:
    """The Action called ``name``, or a clear refusal."""
    try:
        return Action(name)
    except ValueError:
        raise InvalidInput(f"Unknown action '{name}'.", code="unknown_action") from None


def run(session: Session, actor: Actor, name: str, payload: Any) -> Any:
    """Parse and perform one action for ``actor``; raises DomainError to refuse."""
    action = parse_action(name)
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise InvalidInput("The payload must be an object (a JSON dictionary).", code="bad_payload")
    return ACTIONS[action](session, actor, payload)
