"""The record of an event: one JSON-ready document built from what was prepared, said and voted.

Every view and export of a published transcript renders this document (schema in
docs/transcript-schema.md), so a published version looks the same forever, whatever changes later.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.errors import NotFound
from forum.live import protocol
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
from forum.services.audience_view import poll_payload
from forum.services.fields import slugify
from forum.services.floor import speaking_time
from forum.services.live_core import revision_counts
from forum.services.tallies import poll_tallies, vote_counts

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
        share = round(100 * votes / poll["total"], 1) if poll["total"] else 0.0
        entry = {"label": option["label"], "votes": votes, "share": share}
        if before:
            match = next((o for o in before["options"] if o["label"] == option["label"]), None)
            if match is not None and before["total"]:
                earlier = round(100 * before["tally"].get(str(match["id"]), 0) / before["total"], 1)
                entry["change"] = round(share - earlier, 1)
        options.append(entry)
    return {"prompt": poll["prompt"], "phase": poll["phase"], "total": poll["total"], "options": options}


def build_record(session: Session, event_id: int) -> dict[str, Any]:
    """The record as it would be published now (without version details)."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(_("There is no such event."))
    people = list(
        session.scalars(
            select(Participant)
            .where(Participant.event_id == event_id)
            .order_by(Participant.role, Participant.position)
        )
    )
    keys = person_keys(people)
    by_id = {p.id: p for p in people}
    totals, by_question = speaking_time(session, event_id)
    questions = list(
        session.scalars(
            select(AgendaQuestion)
            .where(AgendaQuestion.event_id == event_id)
            .order_by(AgendaQuestion.position)
        )
    )
    contributions = [
        c for c in ordered_contributions(session, event_id) if not c.hidden and c.merged_into_id is None
    ]
    revisions = revision_counts(session, [c.id for c in contributions])
    taken = list(
        session.scalars(
            select(AudienceQuestion)
            .where(AudienceQuestion.event_id == event_id, AudienceQuestion.status == QuestionStatus.ANSWERED)
            .order_by(AudienceQuestion.created_at)
        )
    )
    votes = vote_counts(session, [q.id for q in taken])
    polls = list(
        session.scalars(
            select(Poll)
            .where(Poll.event_id == event_id, Poll.status == PollStatus.CLOSED)
            .order_by(Poll.opened_at)
        )
    )
    tallies = poll_tallies(session, [p.id for p in polls])
    poll_docs = {p.id: poll_payload(session, p, tallies[p.id]) for p in polls}

    def person(p: Participant) -> dict[str, Any]:
        return {
            "key": keys[p.id],
            "name": p.display_name,
            "short_name": p.short_name,
            "affiliation": p.affiliation,
            "role": p.role.value,
        }

    def audience_item(item: AudienceQuestion) -> dict[str, Any]:
        return {"text": item.text, "name": item.display_name, "votes": votes[item.id]}

    items_by_question: dict[int | None, list[Contribution]] = defaultdict(list)
    for item in contributions:
        items_by_question[item.question_id].append(item)

    question_docs = []
    for question in questions:
        number = question.position
        prompt = None
        said = []
        seen: dict[str, int] = defaultdict(int)
        for item in items_by_question.get(question.id, []):
            speaker = by_id.get(item.participant_id)
            if item.kind == ContributionKind.MODERATOR_PROMPT and prompt is None:
                prompt = {"speaker": person(speaker) if speaker else None, "text": item.text}
                continue
            key = keys.get(item.participant_id, "unattributed")
            seen[key] += 1
            anchor = f"q{number}-{key}" + (f"-{seen[key]}" if seen[key] > 1 else "")
            approved = item.approved_revision is not None and item.approved_revision == revisions.get(
                item.id, 1
            )
            said.append(
                {
                    "anchor": anchor,
                    "speaker": key if speaker else None,
                    "kind": item.kind.value,
                    "source": item.source.value,
                    "delivery": delivery(item.source),
                    "text": item.text,
                    "approved_by_speaker": approved,
                }
            )
        question_polls = [p for p in polls if p.agenda_question_id == question.id]
        question_docs.append(
            {
                "number": number,
                "anchor": f"q{number}",
                "text": question.text,
                "added_live": question.added_live,
                "prompt": prompt,
                "contributions": said,
                "audience_questions": [
                    audience_item(a) for a in taken if a.agenda_question_id == question.id
                ],
                "polls": [
                    _poll_summary(poll_docs[p.id], poll_docs.get(p.paired_with_id)) for p in question_polls
                ],
                "speaking_seconds": {
                    keys[pid]: round(s, 1)
                    for pid, s in by_question.get(question.id, {}).items()
                    if pid in keys
                },
            }
        )
    moderators = [p for p in people if p.role == ParticipantRole.MODERATOR]
    panelists = [p for p in people if p.role == ParticipantRole.PANELIST]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "event": {
            "slug": event.slug,
            "title": event.title,
            "summary": event.summary,
            "starts_at": protocol.timestamp(event.starts_at),
            "timezone": event.timezone,
            "venue": event.venue,
            "online_url": event.online_url,
            "language": event.language,
        },
        "host": {"name": event.host.name, "website": event.host.website, "about": event.host.about},
        "moderators": [person(p) for p in moderators],
        "panelists": [person(p) | {"speaking_seconds": round(totals.get(p.id, 0.0), 1)} for p in panelists],
        "questions": question_docs,
        "general_audience_questions": [audience_item(a) for a in taken if a.agenda_question_id is None],
    }
