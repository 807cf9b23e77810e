"""What the live room tells a person after they act, and the few texts the browser code shows by itself.

One home for both doors: plain form posts (``forum/live/routes.py``, ``forum/audience/routes.py``) flash
these, and the pages hand the same texts to the browser (``forum/live/regions.py``), which never carries
English of its own.
"""

from __future__ import annotations

from typing import Any

DONE: dict[str, str] = {
    "session.start": "The session is live.",
    "session.end": "The session has ended.",
    "question.goto": "Question changed.",
    "question.next": "Moved to the next question.",
    "question.previous": "Moved back to the previous question.",
    "question.add": "Question added to the agenda.",
    "floor.give": "Floor given.",
    "floor.release": "Nobody has the floor now.",
    "prompt.save": "Prompt saved.",
    "feed.set": "Transcript feed setting saved.",
    "projector.keep": "Projector setting saved.",
    "contribution.add": "Contribution recorded.",
    "contribution.edit": "Correction saved; the earlier wording is kept in the history.",
    "answer.save": "Your answer is saved.",
    "audience.ask": "Thank you — your question was sent.",
    "audience.ask:pending": (
        "Your question was sent for review. It appears on the board once a moderator approves it."
    ),
    "audience.ask:held": (
        "Your question was sent for review. It appears on the board once a moderator approves it."
    ),
    "audience.ask:approved": "Your question is on the board.",
    "audience.edit": "Your question was updated.",
    "audience.withdraw": "Your question was withdrawn.",
    "audience.vote": "Vote saved.",
    "audience.vote:up": "Your vote was added.",
    "audience.vote:down": "Your vote was taken back.",
    "audience.report": "Thank you — the moderators will look at it.",
    "poll.vote": "Your answer to the poll is counted.",
    "moderation.approve": "Approved; the question is on the board.",
    "moderation.reject": "The question was taken off the board; its author sees your reason.",
    "moderation.answered": "Saved.",
    "moderation.pin": "Saved.",
    "moderation.highlight": "Projector updated.",
    "moderation.merge": "Questions merged; their votes were added together.",
    "moderation.block": "Saved.",
    "moderation.settings": "Audience settings saved.",
    "poll.open": "The poll is open.",
    "poll.close": "The poll is closed.",
}

SAVED = "Saved."

# Live actions that ask before they act, when the form says so (``ask_first``): the browser in a dialog
# (static/js/confirm.js), the server on a page when JavaScript is off (forum/live/routes.py).
ASK_FIRST: dict[str, dict[str, str]] = {
    "session.end": {
        "question": "End the session for everyone?",
        "detail": "The audience can no longer ask, vote or answer polls, and the record moves on to review.",
        "button": "End the session",
    },
    "moderation.reject": {
        "question": "Take this question off the board?",
        "detail": "The audience no longer sees it; its author is told.",
        "button": "Take down",
    },
    "moderation.block": {
        "question": "Block this author?",
        "detail": "They can no longer ask, vote or report in this event.",
        "button": "Block the author",
    },
}

CLIENT: dict[str, Any] = {
    "connection": {
        "connected": "Connected",
        "reconnecting": "Connection lost — reconnecting…",
        "refused": "This page cannot join the live room.",
    },
    "saved": SAVED,
    "timeout": "The server did not answer. Check the connection and try again.",
    "question_moved": (
        "The session has moved on to another question. What you are typing stays with the question shown "
        "in this form until you save it."
    ),
    "changed_elsewhere": (
        "Someone else changed this text while you were editing it. Saving replaces their version with yours."
    ),
    "follow_current": "Switch to the current question (your draft is kept in this tab)",
    "draft_restored": "Your unsaved draft for this question was restored.",
    "new_waiting": "New audience question waiting for a decision.",
}


def done_message(name: str, result: Any = None) -> str:
    """The confirmation for an action, made specific by its result where that matters."""
    if isinstance(result, dict):
        if name == "audience.vote" and "up" in result:
            return DONE["audience.vote:up" if result["up"] else "audience.vote:down"]
        status = result.get("status")
        if isinstance(status, str) and f"{name}:{status}" in DONE:
            return DONE[f"{name}:{status}"]
    return DONE.get(name, SAVED)


def client_messages() -> dict[str, Any]:
    """The texts the browser shows by itself (confirmations come with each acknowledgement), and the
    questions some actions ask first."""
    return {**CLIENT, "ask_first": ASK_FIRST}
