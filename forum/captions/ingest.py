"""Caption posts: the contract captioning software already speaks for Zoom's third-party caption API, and a
JSON form for engines that know the speaker (docs/captions.md).

``POST <caption link>?seq=N&lang=ko-KR`` with a ``text/plain`` body is one caption. ``seq`` grows by one per
new post and is repeated on a retry: a post whose ``seq`` is not above the last one accepted changes nothing.
Each caption is filed under the question current when it was said and attributed to the speaker the source
names (a member of the panel), else to whoever held the floor, else to nobody.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from forum import rate_limits
from forum.captions.links import link_for_token
from forum.captions.live import announce_caption
from forum.db import utcnow
from forum.errors import Conflict, InvalidInput, MalformedRequest, PayloadTooLarge, UnsupportedMediaType
from forum.fields import clean_text
from forum.limits import CAPTION_BODY_MAX, CAPTION_LANGUAGE_MAX, CAPTION_SPEAKER_MAX, CAPTION_TEXT_MAX
from forum.live.state import live_state
from forum.models import (
    Attribution,
    CaptionLink,
    CaptionSegment,
    Event,
    EventStatus,
    Participant,
    SpeakingTurn,
)

SEQ_MAX = 2**31 - 1
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class CaptionPost:
    """One caption as it arrived, checked: text, and what the source said about it."""

    seq: int | None
    language: str | None
    text: str
    speaker: str | None = None
    final: bool = True
    start: float | None = None  # seconds from the session's start, when the source knows
    end: float | None = None


@dataclass(frozen=True)
class Accepted:
    """What a caption post produced (or, for a retry, what the first post of that ``seq`` did)."""

    seq: int
    stored: bool
    segment: CaptionSegment | None = None


def read_post(content_type: str | None, body: bytes, seq: Any, lang: Any) -> CaptionPost:
    """Check a caption post's body and query: ``text/plain`` (any charset that decodes as UTF-8) or JSON."""
    if len(body) > CAPTION_BODY_MAX:
        raise PayloadTooLarge(
            _(
                "A caption post may carry at most %(size)d bytes; send long passages as several posts.",
                size=CAPTION_BODY_MAX,
            )
        )
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind not in {"text/plain", "application/json"}:
        raise UnsupportedMediaType(
            _("Send captions as text/plain (one caption per post) or as application/json."),
        )
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(_("Caption text must be UTF-8.")) from None
    seq_number = _seq(seq)
    language = _language(lang)
    if kind == "text/plain":
        return CaptionPost(seq_number, language, _caption_text(decoded))
    return _json_post(decoded, seq_number, language)


def _seq(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if not (isinstance(value, str) and value.isascii() and value.isdigit()) or not 1 <= int(value) <= SEQ_MAX:
        raise MalformedRequest(_("seq must be a whole number from 1 up, one more for each new caption."))
    return int(value)


def _language(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > CAPTION_LANGUAGE_MAX or not _LANGUAGE.match(value):
        raise MalformedRequest(_("lang must be a language tag such as ko-KR or en-US."))
    return value


def _caption_text(value: Any) -> str:
    text = clean_text(
        value if isinstance(value, str) else "",
        field="text",
        label=_("Caption"),
        max_length=CAPTION_TEXT_MAX,
        multiline=True,
    )
    if not text:
        raise InvalidInput(_("A caption post needs some text."), fields={"text": _("Empty.")})
    return text


def _seconds(data: dict[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidInput(
            _("%(name)s must be a number of seconds from the session's start.", name=name),
            fields={name: _("Not a number of seconds.")},
        )
    return float(value)


def _json_post(decoded: str, seq: int | None, language: str | None) -> CaptionPost:
    try:
        data = json.loads(decoded)
    except (ValueError, RecursionError):
        raise InvalidInput(_("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            _('Send one JSON object: {"text": …, "speaker": …, "final": …, "start": …, "end": …}.')
        )
    speaker = data.get("speaker")
    if speaker is not None and not isinstance(speaker, str):
        raise InvalidInput(_("speaker must be a name."), fields={"speaker": _("Not text.")})
    speaker = clean_text(
        speaker or "", field="speaker", label=_("Speaker"), max_length=CAPTION_SPEAKER_MAX, required=False
    )
    final = data.get("final", True)
    if not isinstance(final, bool):
        raise InvalidInput(_("final must be true or false."), fields={"final": _("Not true or false.")})
    start, end = _seconds(data, "start"), _seconds(data, "end")
    if start is not None and end is not None and end < start:
        raise InvalidInput(_("end must not come before start."), fields={"end": _("Before start.")})
    return CaptionPost(seq, language, _caption_text(data.get("text")), speaker or None, final, start, end)


def last_seq(session: Session, token: str) -> int:
    """The highest ``seq`` the link has accepted (0 before the first caption)."""
    return link_for_token(session, token).last_seq


def open_link(session: Session, token: str) -> CaptionLink:
    """The working link ``token`` opens, counted against its rate limit: the first step of every post, before
    its body is read."""
    link = link_for_token(session, token)
    rate_limits.enforce("captions", f"caption-link:{link.id}")
    return link


def accept(session: Session, link: CaptionLink, post: CaptionPost) -> Accepted:
    """File one caption post under ``link`` (``open_link``); refused unless the event's session is live."""
    event = session.get(Event, link.event_id)
    state = live_state(session, link.event_id)
    if event is None or event.status != EventStatus.LIVE or state.started_at is None:
        raise Conflict(
            _("The session is not live: captions are taken between its start and its end."), code="not_live"
        )
    now = utcnow()
    seq = post.seq if post.seq is not None else link.last_seq + 1
    if not _claim_seq(session, link, seq, now):
        return Accepted(seq, stored=False)
    said = state.started_at + timedelta(seconds=post.start) if post.start is not None else now
    start_ms = _offset_ms(state.started_at, said)
    end_ms = (
        _offset_ms(state.started_at, state.started_at + timedelta(seconds=post.end))
        if post.end is not None
        else start_ms
    )
    question_id, holder = _floor_at(session, link.event_id, said, state.current_question_id)
    named = _named_speaker(session, link.event_id, post.speaker)
    if named is not None:
        participant_id, attribution = named, Attribution.NAMED
    elif holder is not None:
        participant_id, attribution = holder, Attribution.FLOOR
    else:
        participant_id, attribution = None, Attribution.NONE
    previous = session.scalar(
        select(CaptionSegment)
        .where(CaptionSegment.event_id == link.event_id)
        .order_by(CaptionSegment.id.desc())
        .limit(1)
    )
    continues = (
        previous is not None
        and previous.question_id == question_id
        and previous.participant_id == participant_id
    )
    segment = CaptionSegment(
        event_id=link.event_id,
        link_id=link.id,
        seq=seq,
        language=post.language,
        text=post.text,
        received_at=now,
        start_ms=start_ms,
        end_ms=max(end_ms, start_ms),
        final=post.final,
        question_id=question_id,
        participant_id=participant_id,
        attribution=attribution,
        speaker_label=post.speaker if named is None else None,
        run_id=previous.run if continues else None,
    )
    session.add(segment)
    session.flush()
    announce_caption(session, segment, state)
    return Accepted(seq, stored=True, segment=segment)


def _claim_seq(session: Session, link: CaptionLink, seq: int, now: datetime) -> bool:
    """Move the link's last ``seq`` up to this one, unless it is there already (a retry). One conditional
    UPDATE, so two posts of one ``seq`` at once store one caption: the second waits for the first's row lock
    and then finds nothing to move."""
    moved = session.execute(
        update(CaptionLink)
        .where(CaptionLink.id == link.id, CaptionLink.last_seq < seq)
        .values(last_seq=seq, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(link, ["last_seq", "last_used_at"])  # read again only if someone asks
    return moved.rowcount == 1


def _offset_ms(started_at: datetime, moment: datetime) -> int:
    return max(0, round((moment - started_at).total_seconds() * 1000))


def _floor_at(
    session: Session, event_id: int, moment: datetime, current_question_id: int | None
) -> tuple[int | None, int | None]:
    """The question and the floor holder at ``moment``, from the speaking turns: the turn that covers it (the
    open one, for a caption of now); with no turn, the current question and nobody."""
    turn = session.scalar(
        select(SpeakingTurn)
        .where(
            SpeakingTurn.event_id == event_id,
            SpeakingTurn.started_at <= moment,
            or_(SpeakingTurn.ended_at.is_(None), SpeakingTurn.ended_at > moment),
        )
        .order_by(SpeakingTurn.started_at.desc())
        .limit(1)
    )
    if turn is None:
        return current_question_id, None
    return (turn.question_id if turn.question_id is not None else current_question_id), turn.participant_id


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def _named_speaker(session: Session, event_id: int, speaker: str | None) -> int | None:
    """The panel member the source named (by full or short name, whatever the case and spacing)."""
    if not speaker:
        return None
    wanted = _folded(speaker)
    for person in session.scalars(select(Participant).where(Participant.event_id == event_id)):
        if wanted in {_folded(person.display_name), _folded(person.short_name)}:
            return person.id
    return None
