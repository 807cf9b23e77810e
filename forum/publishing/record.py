"""The record of an event: one JSON-ready document built from what was prepared, said and voted.

Every view and export of a published transcript renders this document (schema in
docs/transcript-schema.md), so a published version looks the same forever, whatever changes later.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import formatting, protocol
from forum.audience.payloads import poll_payload
from forum.audience.tallies import poll_tallies, vote_counts
from forum.captions import recording
from forum.captions.runs import event_runs
from forum.errors import NotFound
from forum.events.contributions import revision_counts
from forum.fields import slugify
from forum.live.floor import speaking_time
from forum.models import (
    AgendaQuestion,
    AudienceQuestion,
    Contribution,
    ContributionKind,
    ContributionSource,
    Event,
    Participant,
    ParticipantRole,
    Poll,
    PollStatus,
    QuestionStatus,
)

SCHEMA = "debate-forum/transcript"
# Version 2 added `delivery` to every contribution; stored version 1 documents have no such field.
SCHEMA_VERSION = 2

# How the words reached the record, as the document calls it: said aloud in the session (captured by a
# scribe) or sent in writing through the panelist's invitation link. Imported words whose source did not
# say which have no delivery.
DELIVERY = {ContributionSource.LIVE: "said", ContributionSource.PREPARED: "written"}
# The English labels, which the plain-text export writes for English events and the importer reads back.
DELIVERY_LABELS = {"said": "said in the session", "written": "written answer"}
# The same labels in the current language (the event's, inside the record and its exports).
_SHOWN_LABELS = {"said": _l("said in the session"), "written": _l("written answer")}


def delivery(source: ContributionSource) -> str | None:
    """The document's `delivery` for a contribution's source: "said", "written" or None (not known)."""
    return DELIVERY.get(source)


def delivery_label(code: str | None) -> str | None:
    """The label readers and organizers see for a delivery; None (no label) when it is not known,
    as in documents published before version 2."""
    label = _SHOWN_LABELS.get(code) if isinstance(code, str) else None
    return str(label) if label is not None else None


def person_keys(people: list[Participant]) -> dict[int, str]:
    """A stable, readable key per person for anchors and URLs: "kimmy", "hong-myeong-gyo"."""
    keys: dict[int, str] = {}
    used: set[str] = set()
    for person in people:
        key = slugify(person.short_name, max_length=40)
        if key in used or key in {"versions", "panelists"}:
            key = f"{key}-{person.id}"
        used.add(key)
        keys[person.id] = key
    return keys


def ordered_contributions(session: Session, event_id: int) -> list[Contribution]:
    """Everything in the record's order: by question, then review position, then time."""
    return list(
        session.scalars(
            select(Contribution)
            .where(Contribution.event_id == event_id)
            .order_by(
                Contribution.question_id,
                Contribution.position.nulls_last(),
                Contribution.created_at,
                Contribution.id,
            )
        )
    )


def _poll_summary(poll: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    options = []
    for option in poll["options"]:
        votes = poll["tally"].get(str(option["id"]), 0)
        share = formatting.share(votes, poll["total"], places=1)
        entry = {"label": option["label"], "votes": votes, "share": share}
        if before:
            match = next((o for o in before["options"] if o["label"] == option["label"]), None)
            if match is not None and before["total"]:
                earlier = formatting.share(
                    before["tally"].get(str(match["id"]), 0), before["total"], places=1
                )
                entry["change"] = round(share - earlier, 1)
        options.append(entry)
    return {"prompt": poll["prompt"], "phase": poll["phase"], "total": poll["total"], "options": options}


@dataclass
class _Panel:
    """The event's people in the record's order, with their keys, and their speaking times."""

    people: list[Participant]
    keys: dict[int, str]
    by_id: dict[int, Participant]
    totals: dict[int, float]
    seconds_by_question: dict[int, dict[int, float]]


@dataclass
class _Said:
    """The visible contributions (not hidden, not merged) per question, with their revision counts."""

    by_question: dict[int | None, list[Contribution]]
    revisions: dict[int, int]
    # With a recording: seconds into it at which each contribution was said (forum/captions/recording.py).
    moments: dict[int, float] = field(default_factory=dict)
    # When the organizer publishes them: the verbatim captions per question, in runs, with their moments.
    verbatim: dict[int | None, list[dict[str, Any]]] | None = None


@dataclass
class _Audience:
    """The audience questions taken (answered), oldest first, with their vote counts."""

    taken: list[AudienceQuestion]
    votes: dict[int, int]


@dataclass
class _Polls:
    """The closed polls, in the order they were opened, with their payloads by poll id."""

    polls: list[Poll]
    docs: dict[int, dict[str, Any]]


def _load_event(session: Session, event_id: int) -> Event:
    """The event, or NotFound."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(_("There is no such event."))
    return event


def _load_panel(session: Session, event_id: int) -> _Panel:
    """The event's people (by role, then position), their keys and their speaking times."""
    people = list(
        session.scalars(
            select(Participant)
            .where(Participant.event_id == event_id)
            .order_by(Participant.role, Participant.position)
        )
    )
    totals, by_question = speaking_time(session, event_id)
    return _Panel(people, person_keys(people), {p.id: p for p in people}, totals, by_question)


def _load_questions(session: Session, event_id: int) -> list[AgendaQuestion]:
    """The agenda in order."""
    return list(
        session.scalars(
            select(AgendaQuestion)
            .where(AgendaQuestion.event_id == event_id)
            .order_by(AgendaQuestion.position)
        )
    )


def _load_said(session: Session, event: Event, keys: dict[int, str]) -> _Said:
    """The visible contributions in the record's order, grouped per question, and their revision counts;
    their moments in the recording, and the verbatim captions when the organizer publishes them."""
    contributions = [
        c for c in ordered_contributions(session, event.id) if not c.hidden and c.merged_into_id is None
    ]
    revisions = revision_counts(session, [c.id for c in contributions])
    by_question: dict[int | None, list[Contribution]] = defaultdict(list)
    for item in contributions:
        by_question[item.question_id].append(item)
    moments = recording.contribution_moments(session, event, contributions)
    verbatim = None
    if event.verbatim_in_record:
        verbatim = defaultdict(list)
        for run in event_runs(session, event.id):
            doc: dict[str, Any] = {
                "speaker": keys.get(run.participant_id) if run.participant_id else None,
                "start_ms": run.start_ms,
                "text": run.text,
                # Each caption as it was timed, for the record's subtitle files (WebVTT, SRT).
                "segments": [
                    {"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text}
                    for s in run.segments
                    if s.final
                ],
            }
            at = recording.run_moment(event, run)
            if at is not None:
                doc["at_seconds"] = round(at, 1)
            verbatim[run.question_id].append(doc)
    return _Said(by_question, revisions, moments, verbatim)


def _load_audience(session: Session, event_id: int) -> _Audience:
    """The audience questions taken, oldest first, and their votes."""
    taken = list(
        session.scalars(
            select(AudienceQuestion)
            .where(AudienceQuestion.event_id == event_id, AudienceQuestion.status == QuestionStatus.ANSWERED)
            .order_by(AudienceQuestion.created_at)
        )
    )
    return _Audience(taken, vote_counts(session, [q.id for q in taken]))


def _load_polls(session: Session, event_id: int) -> _Polls:
    """The closed polls in the order they were opened, and their payloads with final tallies."""
    polls = list(
        session.scalars(
            select(Poll)
            .where(Poll.event_id == event_id, Poll.status == PollStatus.CLOSED)
            .order_by(Poll.opened_at)
        )
    )
    tallies = poll_tallies(session, [p.id for p in polls])
    return _Polls(polls, {p.id: poll_payload(session, p, tallies[p.id]) for p in polls})


def _person_doc(person: Participant, keys: dict[int, str]) -> dict[str, Any]:
    """A person as the document names them."""
    return {
        "key": keys[person.id],
        "name": person.display_name,
        "short_name": person.short_name,
        "affiliation": person.affiliation,
        "role": person.role.value,
    }


def _audience_doc(item: AudienceQuestion, votes: dict[int, int]) -> dict[str, Any]:
    """An audience question taken, with its votes."""
    return {"text": item.text, "name": item.display_name, "votes": votes[item.id]}


def _anchor(number: int, key: str, nth: int) -> str:
    """A contribution's anchor: "q2-kimmy" for a speaker's first under a question, "q2-kimmy-2" after."""
    return f"q{number}-{key}" + (f"-{nth}" if nth > 1 else "")


def _contribution_doc(item: Contribution, anchor: str, speaker: str | None, said: _Said) -> dict[str, Any]:
    """One contribution with its delivery; approved only if the speaker approved its latest revision; with
    its moment in the recording when there is one."""
    latest = said.revisions.get(item.id, 1)
    approved = item.approved_revision is not None and item.approved_revision == latest
    doc = {
        "anchor": anchor,
        "speaker": speaker,
        "kind": item.kind.value,
        "source": item.source.value,
        "delivery": delivery(item.source),
        "text": item.text,
        "approved_by_speaker": approved,
    }
    if item.id in said.moments:
        doc["at_seconds"] = round(said.moments[item.id], 1)
    return doc


def _said_docs(
    number: int, items: list[Contribution], panel: _Panel, said_all: _Said
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A question's prompt (its first moderator prompt) and everything else said under it, in order."""
    prompt = None
    said = []
    seen: dict[str, int] = defaultdict(int)
    for item in items:
        speaker = panel.by_id.get(item.participant_id)
        if item.kind == ContributionKind.MODERATOR_PROMPT and prompt is None:
            prompt = {"speaker": _person_doc(speaker, panel.keys) if speaker else None, "text": item.text}
            continue
        key = panel.keys.get(item.participant_id, "unattributed")
        seen[key] += 1
        said.append(
            _contribution_doc(item, _anchor(number, key, seen[key]), key if speaker else None, said_all)
        )
    return prompt, said


def _poll_docs(question: AgendaQuestion, polls: _Polls) -> list[dict[str, Any]]:
    """The question's polls, each compared with the poll it is paired with (before/after)."""
    return [
        _poll_summary(polls.docs[p.id], polls.docs.get(p.paired_with_id))
        for p in polls.polls
        if p.agenda_question_id == question.id
    ]


def _speaking_seconds(seconds: dict[int, float], keys: dict[int, str]) -> dict[str, float]:
    """Seconds spoken per person key, for people on the panel only."""
    return {keys[pid]: round(s, 1) for pid, s in seconds.items() if pid in keys}


def _question_doc(
    question: AgendaQuestion, panel: _Panel, said: _Said, audience: _Audience, polls: _Polls
) -> dict[str, Any]:
    """One agenda question with its prompt, contributions, audience questions, polls and speaking times."""
    number = question.position
    prompt, contributions = _said_docs(number, said.by_question.get(question.id, []), panel, said)
    doc = {
        "number": number,
        "anchor": f"q{number}",
        "text": question.text,
        "added_live": question.added_live,
        "prompt": prompt,
        "contributions": contributions,
        "audience_questions": [
            _audience_doc(a, audience.votes) for a in audience.taken if a.agenda_question_id == question.id
        ],
        "polls": _poll_docs(question, polls),
        "speaking_seconds": _speaking_seconds(panel.seconds_by_question.get(question.id, {}), panel.keys),
    }
    if said.verbatim is not None:
        doc["verbatim"] = said.verbatim.get(question.id, [])
    return doc


def _event_doc(event: Event) -> dict[str, Any]:
    """The event's own details."""
    return {
        "slug": event.slug,
        "title": event.title,
        "summary": event.summary,
        "starts_at": protocol.timestamp(event.starts_at),
        "timezone": event.timezone,
        "venue": event.venue,
        "online_url": event.online_url,
        "language": event.language,
    }


def _panel_docs(panel: _Panel) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The moderators, and the panelists with their total speaking time."""
    moderators = [p for p in panel.people if p.role == ParticipantRole.MODERATOR]
    panelists = [p for p in panel.people if p.role == ParticipantRole.PANELIST]
    return (
        [_person_doc(p, panel.keys) for p in moderators],
        [
            _person_doc(p, panel.keys) | {"speaking_seconds": round(panel.totals.get(p.id, 0.0), 1)}
            for p in panelists
        ],
    )


def build_record(session: Session, event_id: int) -> dict[str, Any]:
    """The record as it would be published now (without version details)."""
    event = _load_event(session, event_id)
    panel = _load_panel(session, event_id)
    questions = _load_questions(session, event_id)
    said = _load_said(session, event, panel.keys)
    audience = _load_audience(session, event_id)
    polls = _load_polls(session, event_id)
    moderators, panelists = _panel_docs(panel)
    document = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "event": _event_doc(event),
        "host": {"name": event.host.name, "website": event.host.website, "about": event.host.about},
        "moderators": moderators,
        "panelists": panelists,
        "questions": [_question_doc(q, panel, said, audience, polls) for q in questions],
        "general_audience_questions": [
            _audience_doc(a, audience.votes) for a in audience.taken if a.agenda_question_id is None
        ],
    }
    if event.recording_url:
        document["recording"] = {"url": event.recording_url, "offset_seconds": event.recording_offset_seconds}
    return document
