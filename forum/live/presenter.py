"""Derived values the live templates need from a snapshot (lookups, durations), computed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def duration(seconds: float) -> str:
    """Seconds as M:SS or H:MM:SS."""
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def present(snap: dict[str, Any]) -> dict[str, Any]:
    """Lookups by id, the current question and speaker, and speaking totals including the running turn."""
    people = {p["id"]: p for p in snap["panel"]}
    questions = {q["id"]: q for q in snap["agenda"]}
    floor = snap.get("floor")
    now = _parse(snap["server_time"])
    running = 0.0
    if floor and now and floor.get("started_at"):
        running = max(0.0, (now - _parse(floor["started_at"])).total_seconds())
    totals = {int(pid): seconds for pid, seconds in snap["speaking"]["totals"].items()}
    if floor:
        totals[floor["participant_id"]] = totals.get(floor["participant_id"], 0.0) + running
    return {
        "people": people,
        "questions": questions,
        "current": questions.get(snap.get("current_question_id")),
        "speaker": people.get(floor["participant_id"]) if floor else None,
        "running": duration(running),
        "totals": {pid: duration(seconds) for pid, seconds in totals.items()},
        "panelists": [p for p in snap["panel"] if p["role"] == "panelist"],
        "speakers": [p for p in snap["panel"] if p["role"] in {"panelist", "moderator"}],
        "prompts": {c["question_id"]: c for c in snap["feed"] if c["kind"] == "moderator_prompt"},
    }
