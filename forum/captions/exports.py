"""An event's captions as subtitle files: WebVTT with the speaker in a voice tag (``<v Kimmy>``) and SRT with
the speaker's name before the words, each cue timed from the session's start (webvtt-py writes both). A
speaker is named as the record names them: by their short name."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from webvtt import Caption, WebVTT

from forum.captions.runs import event_segments
from forum.models import Participant

# A caption sent without an end time is shown until the next one starts, but not longer than this.
LONGEST_CUE_MS = 7000
SHORTEST_CUE_MS = 1000


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    speaker: str | None
    text: str


def timed(cues: list[Cue]) -> list[Cue]:
    """Cues in the order they were said, each given an end when its source sent none: until the next cue,
    at least ``SHORTEST_CUE_MS`` and at most ``LONGEST_CUE_MS``."""
    ordered = sorted(cues, key=lambda cue: cue.start_ms)
    result = []
    for index, cue in enumerate(ordered):
        end = cue.end_ms
        if end <= cue.start_ms:
            end = cue.start_ms + LONGEST_CUE_MS
            if index + 1 < len(ordered):
                end = min(end, max(ordered[index + 1].start_ms, cue.start_ms + SHORTEST_CUE_MS))
        result.append(Cue(cue.start_ms, end, cue.speaker, cue.text))
    return result


def event_cues(session: Session, event_id: int) -> list[Cue]:
    """One cue per final caption of the event, from the database (the organizer's download)."""
    names = {
        person.id: person.short_name or person.display_name
        for person in session.scalars(select(Participant).where(Participant.event_id == event_id))
    }
    return timed(
        [
            Cue(s.start_ms, s.end_ms, names.get(s.participant_id) if s.participant_id else None, s.text)
            for s in event_segments(session, event_id)
            if s.final
        ]
    )


def has_verbatim(content: dict[str, Any]) -> bool:
    """Whether a published record carries its verbatim captions (the organizer's choice at publication)."""
    return any("verbatim" in question for question in content.get("questions", []))


def document_cues(content: dict[str, Any], key: str | None = None) -> list[Cue] | None:
    """The cues of a published record's verbatim captions (one speaker's with ``key``), or None when the
    record was published without them."""
    if not has_verbatim(content):
        return None
    questions = content["questions"]
    names = {
        person["key"]: person["short_name"] or person["name"]
        for person in content["moderators"] + content["panelists"]
    }
    cues = [
        Cue(segment["start_ms"], segment["end_ms"], names.get(run["speaker"]), segment["text"])
        for question in questions
        for run in question.get("verbatim", [])
        if key is None or run["speaker"] == key
        for segment in run.get("segments", [])
    ]
    return timed(cues)


def _timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _lines(text: str) -> str:
    """Cue text has no empty lines (they end a cue)."""
    return "\n".join(line for line in text.splitlines() if line.strip())


def _vtt_text(cue: Cue) -> str:
    # Cue text is markup: &, < and > are escaped, so no caption can open a tag or end its cue ("-->").
    text = html.escape(_lines(cue.text), quote=False)
    if cue.speaker is None:
        return text
    # A voice's annotation ends at ">" and may not hold "&" or "<" unescaped either.
    return f"<v {html.escape(' '.join(cue.speaker.split()), quote=False)}>{text}</v>"


def webvtt_document(cues: list[Cue]) -> str:
    captions = [Caption(_timestamp(c.start_ms), _timestamp(c.end_ms), _vtt_text(c)) for c in cues]
    return WebVTT(captions=captions).content


def srt_document(cues: list[Cue]) -> str:
    captions = []
    for cue in cues:
        # SRT has no voices and no escaping: the speaker's name goes first, and an arrow in the words is
        # written as one that cannot be read as a timing line.
        text = _lines(cue.text).replace("-->", "→")
        captions.append(
            Caption(
                _timestamp(cue.start_ms),
                _timestamp(cue.end_ms),
                f"{cue.speaker}: {text}" if cue.speaker else text,
            )
        )
    buffer = io.StringIO()
    WebVTT(captions=captions).write(buffer, format="srt")
    return buffer.getvalue()
