"""Replaying a caption file into a caption link, for rehearsals, demos and tests (``flask --app app forum
captions-replay FILE URL``): WebVTT or SRT cues at their own times (a voice tag becomes the speaker), or a
plain text file one line at a time, posted as a captioner would (docs/captions.md)."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import webvtt

PLAIN_TEXT_GAP_S = 2.5  # between two lines of a plain text file
TIMEOUT_S = 10
TRIES = 3


@dataclass(frozen=True)
class ReplayCue:
    at: float  # seconds from the start of the replay
    text: str
    speaker: str | None = None


def read_cues(path: Path) -> list[ReplayCue]:
    """The cues of a WebVTT (``.vtt``) or SRT (``.srt``) file, or the non-empty lines of another text file."""
    suffix = path.suffix.lower()
    if suffix in {".vtt", ".srt"}:
        captions = webvtt.read(str(path)) if suffix == ".vtt" else webvtt.from_srt(str(path))
        first = _seconds(captions[0].start) if len(captions) else 0.0
        return [
            ReplayCue(_seconds(c.start) - first, " ".join(c.text.split("\n")), getattr(c, "voice", None))
            for c in captions
            if c.text.strip()
        ]
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [ReplayCue(n * PLAIN_TEXT_GAP_S, line) for n, line in enumerate(line for line in lines if line)]


def _seconds(timestamp: str) -> float:
    """A cue's "HH:MM:SS.mmm" (the parser's ``start_in_seconds`` drops the milliseconds)."""
    hours, minutes, seconds = timestamp.replace(",", ".").split(":")
    return round(int(hours) * 3600 + int(minutes) * 60 + float(seconds), 3)


class ReplayError(Exception):
    pass


def _request(url: str, data: bytes | None = None, content_type: str | None = None) -> str:
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(
        url, data=data, headers=headers, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):  # not our JSON: the body as it came
            detail = json.loads(detail)["error"]["message"]
        raise ReplayError(f"{error.code}: {detail}") from None


def replay(
    cues: list[ReplayCue],
    link: str,
    *,
    speed: float = 1.0,
    language: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[int, ReplayCue]]:
    """Post each cue to the caption link at its time (divided by ``speed``), numbering them after the last
    ``seq`` the link accepted; yields each ``(seq, cue)`` once it was accepted. A post that fails on the way
    (no answer) is sent again with the same ``seq``, which the link takes for a retry."""
    link = link.split("?", 1)[0].rstrip("/")
    seq = int(_request(f"{link}/seq").strip() or 0)
    started = clock()
    for cue in cues:
        wait = started + cue.at / speed - clock()
        if wait > 0:
            sleep(wait)
        seq += 1
        query = f"?seq={seq}" + (f"&lang={language}" if language else "")
        if cue.speaker:
            body, kind = json.dumps({"text": cue.text, "speaker": cue.speaker}).encode(), "application/json"
        else:
            body, kind = cue.text.encode("utf-8"), "text/plain; charset=utf-8"
        for attempt in range(TRIES):
            try:
                _request(link + query, body, kind)
                break
            except (urllib.error.URLError, TimeoutError) as error:
                if attempt == TRIES - 1:
                    raise ReplayError(f"no answer from the caption link: {error}") from None
        yield seq, cue
