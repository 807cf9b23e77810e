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


def sort_questions(questions: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Pinned first; then most votes (ties: oldest first) or newest first."""
    if sort == "newest":
        ordered = sorted(questions, key=lambda q: (q["created_at"], q["id"]), reverse=True)
    else:
        ordered = sorted(questions, key=lambda q: (-q["votes"], q["created_at"], q["id"]))
    return sorted(ordered, key=lambda q: not q["pinned"])


def poll_results(poll: dict[str, Any], polls_by_id: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each option with its votes and share, and the change from the paired 'before' poll in points."""
    total = poll["total"]
    before = polls_by_id.get(poll.get("paired_with_id"))
    rows = []
    for option in poll["options"]:
        votes = poll["tally"].get(str(option["id"]), 0)
        share = round(100 * votes / total) if total else 0
        row = {"label": option["label"], "votes": votes, "share": share, "change": None}
        if before:
            match = next((o for o in before["options"] if o["label"] == option["label"]), None)
            if match is not None and before["total"]:
                earlier = round(100 * before["tally"].get(str(match["id"]), 0) / before["total"])
                row["change"] = share - earlier
        rows.append(row)
    return rows


def present(snap: dict[str, Any], sort: str = "votes") -> dict[str, Any]:
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
        **_audience(snap, questions, sort),
    }


def _audience(snap: dict[str, Any], agenda: dict[int, Any], sort: str) -> dict[str, Any]:
    board = [q for q in snap["questions"] if q["status"] in {"approved", "answered"}]
    waiting = [q for q in snap["questions"] if q["status"] in {"pending", "held", "hidden"}]
    polls_by_id = {p["id"]: p for p in snap["polls"]}
    open_poll = next((p for p in reversed(snap["polls"]) if p["status"] == "open"), None)
    latest_poll = open_poll or (snap["polls"][-1] if snap["polls"] else None)
    mine = snap.get("mine") or {}
    return {
        "board": sort_questions(board, sort),
        "waiting": sorted(waiting, key=lambda q: (q["created_at"], q["id"])),
        "highlighted": next((q for q in board if q["id"] == snap.get("highlighted_question_id")), None),
        "open_poll": open_poll,
        "latest_poll": latest_poll,
        "poll_rows": {p["id"]: poll_results(p, polls_by_id) for p in snap["polls"]},
        "my_votes": set(mine.get("votes", [])),
        "my_poll_votes": {int(k): v for k, v in mine.get("poll_votes", {}).items()},
        "my_waiting": [q for q in mine.get("questions", []) if q["status"] not in {"approved", "answered"}],
        "agenda_by_id": agenda,
    }
