"""An event's captions as subtitle files: WebVTT with the speaker in a voice tag (``<v Kimmy>``) and SRT with
the speaker's name before the words, each cue timed from the session's start (webvtt-py writes both)."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

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


def event_cues(session: Session, event_id: int) -> list[Cue]:
    """One cue per final caption, in the order they were said."""
    names = {
        person.id: person.display_name
        for person in session.scalars(select(Participant).where(Participant.event_id == event_id))
    }
    segments = [segment for segment in event_segments(session, event_id) if segment.final]
    cues = []
    for index, segment in enumerate(segments):
        following = segments[index + 1].start_ms if index + 1 < len(segments) else None
        end = segment.end_ms
        if end <= segment.start_ms:  # no end from the source: until the next caption, within bounds
            end = segment.start_ms + LONGEST_CUE_MS
            if following is not None:
                end = min(end, max(following, segment.start_ms + SHORTEST_CUE_MS))
        speaker = names.get(segment.participant_id) if segment.participant_id else None
        cues.append(Cue(segment.start_ms, end, speaker, segment.text))
    return cues


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
