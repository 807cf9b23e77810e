"""Stance polls, Oxford-style: agree / disagree / undecided by default, one vote per audience member,
optionally asked before and after a question's discussion to show how opinion moved."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import outbox
from forum.access import Actor, Capability
from forum.audience import identity
from forum.audience.moderation_log import log_action
from forum.audience.payloads import poll_payload
from forum.db import get_in_event, insert_unless_present, utcnow
from forum.errors import Conflict, InvalidInput, NotFound
from forum.fields import clean_text
from forum.i18n import in_language
from forum.limits import AGENDA_QUESTION_MAX, POLL_OPTION_COUNT_MAX, POLL_OPTION_MAX
from forum.live.state import live_state
from forum.models import AgendaQuestion, Event, Poll, PollOption, PollPhase, PollStatus, PollVote
from forum.protocol import Change

# Content of the poll once it is open, so made in the event's language (not the moderator's interface).
DEFAULT_OPTIONS = (_l("Agree"), _l("Disagree"), _l("Undecided"))


def default_options(language: str | None) -> list[str]:
    """Agree / Disagree / Undecided in the event's language."""
    with in_language(language):
        return [str(option) for option in DEFAULT_OPTIONS]


def _options(value: Any, language: str | None) -> list[str]:
    if value is None or value == "" or value == []:
        return default_options(language)
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            "Options must be a list of texts (or one per line).", fields={"options": "Not a list."}
        )
    labels = [
        clean_text(v, field="options", label=_("Option"), max_length=POLL_OPTION_MAX, required=False)
        for v in value
    ]
    labels = [label for label in labels if label]
    distinct = len({label.casefold() for label in labels}) == len(labels)
    if not 2 <= len(labels) <= POLL_OPTION_COUNT_MAX or not distinct:
        raise InvalidInput(
            _("Give between 2 and %(most)s different options.", most=POLL_OPTION_COUNT_MAX),
            fields={"options": "2 to 8."},
        )
    return labels


def _announce_poll(session: Session, poll: Poll) -> None:
    outbox.announce(session, poll.event_id, Change.POLL, poll_payload(session, poll), public=True)


def _close(session: Session, actor: Actor, poll: Poll) -> None:
    poll.status = PollStatus.CLOSED
    poll.closed_at = utcnow()
    session.flush()
    log_action(session, actor.event_id, actor.label, "close_poll", f"poll {poll.id}")
    _announce_poll(session, poll)


def close_open_polls(session: Session, actor: Actor) -> None:
    """Close whatever poll is open in the actor's event."""
    for open_one in session.scalars(
        select(Poll).where(Poll.event_id == actor.event_id, Poll.status == PollStatus.OPEN)
    ):
        _close(session, actor, open_one)


def open_poll(
    session: Session,
    actor: Actor,
    *,
    question_id: int | None = None,
    options: Any = None,
    phase: str = "single",
    prompt: Any = None,
) -> int:
    """Open a stance poll on an agenda question (the current one by default); any open poll closes first.

    An ``after`` poll is paired with the latest ``before`` poll on the same question and reuses its options.
    """
    actor.require(Capability.MODERATE)
    try:
        poll_phase = PollPhase(phase or "single")
    except ValueError:
        raise InvalidInput("phase must be single, before or after.", fields={"phase": "Unknown."}) from None
    state = live_state(session, actor.event_id, lock=True)
    question_id = question_id or state.current_question_id
    question = get_in_event(
        session,
        AgendaQuestion,
        question_id,
        actor.event_id,
        _("Choose a question of this event's agenda for the poll."),
    )
    before = None
    if poll_phase == PollPhase.AFTER:
        before = session.scalar(
            select(Poll)
            .where(Poll.agenda_question_id == question.id, Poll.phase == PollPhase.BEFORE)
            .order_by(Poll.opened_at.desc(), Poll.id.desc())
        )
        if before is None:
            raise Conflict(
                _("Open a 'before' poll on this question first; the 'after' poll is compared with it.")
            )
    if before is not None and not options:
        labels = [
            o.label
            for o in session.scalars(
                select(PollOption).where(PollOption.poll_id == before.id).order_by(PollOption.position)
            )
        ]
    else:
        event = session.get(Event, actor.event_id)
        labels = _options(options, event.language if event else None)
    text = (
        clean_text(
            prompt if isinstance(prompt, str) else "",
            field="prompt",
            label=_("Poll question"),
            max_length=AGENDA_QUESTION_MAX,
            required=False,
        )
        or question.text
    )
    close_open_polls(session, actor)
    poll = Poll(
        event_id=actor.event_id,
        agenda_question_id=question.id,
        prompt=text,
        phase=poll_phase,
        paired_with_id=before.id if before else None,
        status=PollStatus.OPEN,
    )
    session.add(poll)
    session.flush()
    for position, label in enumerate(labels, start=1):
        session.add(PollOption(poll_id=poll.id, position=position, label=label))
    session.flush()
    log_action(
        session,
        actor.event_id,
        actor.label,
        "open_poll",
        f"poll {poll.id}",
        f"{poll_phase.value}: {', '.join(labels)}",
    )
    _announce_poll(session, poll)
    return poll.id


def close_poll(session: Session, actor: Actor, poll_id: int) -> None:
    """Stop accepting votes; the results stay for the record."""
    actor.require(Capability.MODERATE)
    poll = get_in_event(session, Poll, poll_id, actor.event_id, _("There is no such poll in this event."))
    if poll.status == PollStatus.CLOSED:
        return
    _close(session, actor, poll)


def vote(session: Session, actor: Actor, poll_id: int, option_id: int, client_id: Any) -> dict[str, Any]:
    """Cast this member's single vote in an open poll."""
    sent = identity.submission(session, actor, client_id, "poll_vote")
    if sent.earlier is not None:
        return sent.earlier
    member = sent.member
    poll = get_in_event(session, Poll, poll_id, actor.event_id, _("There is no such poll in this event."))
    if poll.status != PollStatus.OPEN:
        raise Conflict(_("This poll is closed."), code="poll_closed")
    option = session.get(PollOption, option_id)
    if option is None or option.poll_id != poll.id:
        raise NotFound(_("That is not one of this poll's options."))
    identity.count_against_limits(actor, member, "poll_vote")
    # Another submission of the same member may be casting a vote at this very moment: the unique key
    # decides which one counts, and the other is compared with it.
    cast = insert_unless_present(
        session,
        PollVote,
        {"poll_id": poll.id, "option_id": option.id, "member_id": member.id},
        unique=("poll_id", "member_id"),
    )
    if cast is None:
        chosen = session.scalar(
            select(PollVote.option_id).where(PollVote.poll_id == poll.id, PollVote.member_id == member.id)
        )
        if chosen != option.id:
            raise Conflict(_("You have already voted in this poll."), code="already_voted")
    else:
        outbox.tally_changed(session, poll.event_id, poll_id=poll.id)
    return sent.done(session, {"poll_id": poll.id, "option_id": option.id})
