"""Review before publishing: the organizer corrects, reorders, refiles, hides or merges contributions;
each panelist approves (or corrects) their own answers through their invitation link."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.archive import comments
from forum.captions.runs import Run, event_runs
from forum.db import get_in_event
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.events.agenda import question_in_event
from forum.events.contributions import add_revision, revision_counts
from forum.events.events import owned_event
from forum.fields import clean_text
from forum.limits import CONTRIBUTION_MAX
from forum.models import (
    VISIBLE_STATUSES,
    AgendaQuestion,
    AudienceQuestion,
    Contribution,
    ContributionKind,
    Event,
    EventStatus,
    Organizer,
    Participant,
    ReaderComment,
    TranscriptVersion,
)
from forum.publishing import publishing
from forum.publishing.record import DELIVERY_LABELS, delivery, ordered_contributions


def _contribution(session: Session, event_id: int, contribution_id: int) -> Contribution:
    item = get_in_event(
        session,
        Contribution,
        contribution_id,
        event_id,
        _("That contribution is not in this event's record."),
        refuse_if=lambda item: item.merged_into_id is not None,
    )
    return item


def _clean(text: str) -> str:
    return clean_text(text, field="text", label=_("Text"), max_length=CONTRIBUTION_MAX, multiline=True) or ""


def correct(session: Session, organizer: Organizer, event_id: int, contribution_id: int, text: str) -> None:
    """Correct the wording; the earlier text stays in the history (and the speaker's approval lapses)."""
    owned_event(session, organizer, event_id)
    item = _contribution(session, event_id, contribution_id)
    cleaned = _clean(text)
    if cleaned != item.text:
        add_revision(session, item, cleaned, f"{organizer.display_name} (organizer)")
        session.flush()


def _siblings(session: Session, item: Contribution) -> list[Contribution]:
    return [
        c
        for c in ordered_contributions(session, item.event_id)
        if c.question_id == item.question_id and c.merged_into_id is None
    ]


def move(session: Session, organizer: Organizer, event_id: int, contribution_id: int, offset: int) -> None:
    """Move a contribution up (-1) or down (+1) within its question."""
    owned_event(session, organizer, event_id)
    item = _contribution(session, event_id, contribution_id)
    siblings = _siblings(session, item)
    index = siblings.index(item)
    target = max(0, min(len(siblings) - 1, index + offset))
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    session.flush()


def refile(
    session: Session, organizer: Organizer, event_id: int, contribution_id: int, question_id: int
) -> None:
    """File a contribution under another question (for captures made under the wrong one)."""
    owned_event(session, organizer, event_id)
    item = _contribution(session, event_id, contribution_id)
    question = question_in_event(session, question_id, event_id)
    item.question_id = question.id
    item.position = None
    session.flush()


def set_hidden(
    session: Session, organizer: Organizer, event_id: int, contribution_id: int, hidden: bool
) -> None:
    """Leave a contribution out of the record (or bring it back); nothing is deleted."""
    owned_event(session, organizer, event_id)
    _contribution(session, event_id, contribution_id).hidden = hidden
    session.flush()


def merge_into_previous(session: Session, organizer: Organizer, event_id: int, contribution_id: int) -> None:
    """Append a contribution to the one before it by the same speaker in the same question."""
    owned_event(session, organizer, event_id)
    item = _contribution(session, event_id, contribution_id)
    earlier = [c for c in _siblings(session, item) if not c.hidden]
    index = earlier.index(item) if item in earlier else -1
    previous = (
        next((c for c in reversed(earlier[:index]) if c.participant_id == item.participant_id), None)
        if index > 0
        else None
    )
    if previous is None:
        raise Conflict(
            _("There is no earlier contribution by the same speaker under this question to merge into.")
        )
    add_revision(
        session, previous, f"{previous.text}\n\n{item.text}", f"{organizer.display_name} (organizer, merge)"
    )
    item.merged_into_id = previous.id
    item.hidden = True
    session.flush()


def of_delivery(items: list[Contribution], wanted: str | None) -> list[Contribution]:
    """The contributions given the wanted way ("said" or "written"); all of them when none is wanted."""
    return items if wanted is None else [c for c in items if delivery(c.source) == wanted]


def said_and_written(items: list[Contribution]) -> dict[int, list[int]]:
    """Question id -> the speakers who have both words said in the session and a written answer under it
    (merged contributions left aside), so the editor can show the two side by side."""
    ways: dict[tuple[int, int], set[str]] = {}
    for item in items:
        way = delivery(item.source)
        if item.merged_into_id is None and item.question_id and item.participant_id and way:
            ways.setdefault((item.question_id, item.participant_id), set()).add(way)
    both: dict[int, list[int]] = {}
    for (question_id, participant_id), found in ways.items():
        if found == {"said", "written"}:
            both.setdefault(question_id, []).append(participant_id)
    return both


@dataclass(frozen=True)
class EditorPage:
    """Everything the organizer's review editor shows."""

    event: Event
    items: list[Contribution]  # the contributions of the wanted delivery (all when none is wanted)
    all_items: list[Contribution]
    wanted: str | None
    both: dict[int, list[int]]
    counts: dict[int, int]
    people: dict[int, Participant]
    audience: list[AudienceQuestion]
    versions: list[TranscriptVersion]
    comments: list[ReaderComment]
    # The verbatim captions, in runs (one speaker under one question), by question (None: before any).
    caption_runs: dict[int | None, list[Run]] = field(default_factory=dict)


def editor_page(session: Session, organizer: Organizer, event_id: int, wanted: str | None) -> EditorPage:
    """The review editor's reads, for the event's owner; an unknown ``wanted`` delivery means all."""
    event = owned_event(session, organizer, event_id, with_panel=True)
    items = ordered_contributions(session, event_id)
    wanted = wanted if wanted in DELIVERY_LABELS else None
    audience = session.scalars(
        select(AudienceQuestion)
        .where(AudienceQuestion.event_id == event_id, AudienceQuestion.status.in_(VISIBLE_STATUSES))
        .order_by(AudienceQuestion.created_at)
    ).all()
    return EditorPage(
        event=event,
        items=of_delivery(items, wanted),
        all_items=items,
        wanted=wanted,
        both=said_and_written(items),
        counts=revision_counts(session, [c.id for c in items]),
        people={p.id: p for p in event.participants},
        audience=list(audience),
        versions=publishing.versions(session, event_id),
        comments=comments.for_moderation(session, organizer, event_id),
        caption_runs=_runs_by_question(session, event_id),
    )


def _runs_by_question(session: Session, event_id: int) -> dict[int | None, list[Run]]:
    by_question: dict[int | None, list[Run]] = {}
    for run in event_runs(session, event_id):
        by_question.setdefault(run.question_id, []).append(run)
    return by_question


# --- panelists approve their own answers -----------------------------------------------------------


def own_items(session: Session, participant: Participant) -> list[tuple[Contribution, int]]:
    """The participant's contributions that will appear in the record, with their revision count."""
    items = [
        c
        for c in ordered_contributions(session, participant.event_id)
        if c.participant_id == participant.id
        and not c.hidden
        and c.merged_into_id is None
        and c.kind != ContributionKind.MODERATOR_PROMPT
    ]
    counts = revision_counts(session, [c.id for c in items])
    return [(c, counts.get(c.id, 1)) for c in items]


@dataclass(frozen=True)
class PanelistPage:
    """What a panelist's review page shows: their answers and the questions they answer."""

    event: Event
    items: list[tuple[Contribution, int]]
    questions: dict[int, AgendaQuestion]


def panelist_page(session: Session, participant: Participant) -> PanelistPage:
    questions = session.scalars(select(AgendaQuestion).where(AgendaQuestion.event_id == participant.event_id))
    return PanelistPage(
        event=session.get(Event, participant.event_id),
        items=own_items(session, participant),
        questions={q.id: q for q in questions},
    )


def _own(session: Session, participant: Participant, contribution_id: int) -> Contribution:
    item = session.get(Contribution, contribution_id)
    if (
        item is None
        or item.participant_id != participant.id
        or item.hidden
        or item.merged_into_id is not None
    ):
        raise NotFound(_("That is not one of your answers in this record."))
    return item


def approve(session: Session, participant: Participant, contribution_id: int | None = None) -> int:
    """Approve one of one's answers as it now reads (or all of them); returns how many were approved."""
    items = own_items(session, participant)
    if contribution_id is not None:
        _own(session, participant, contribution_id)
        items = [(c, n) for c, n in items if c.id == contribution_id]
    for item, revisions in items:
        item.approved_revision = revisions
    session.flush()
    return len(items)


def revise_own(session: Session, participant: Participant, contribution_id: int, text: str) -> None:
    """A panelist corrects their own answer; the corrected wording counts as approved."""
    if participant.role.value == "scribe":
        raise PermissionDenied(_("Scribes correct the record through the console."))
    event = session.get(Event, participant.event_id)
    if event is None or event.status == EventStatus.PUBLISHED:
        # As for prepared answers and the console: a published record changes only through a new version.
        raise Conflict(_("The record of this event is published; ask the organizer to correct it."))
    item = _own(session, participant, contribution_id)
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidInput(_("An answer cannot be empty; ask the organizer to remove it instead."))
    if cleaned != item.text:
        add_revision(session, item, cleaned, f"{participant.display_name} (invitation link)")
        session.flush()
    item.approved_revision = revision_counts(session, [item.id]).get(item.id, 1)
    session.flush()
