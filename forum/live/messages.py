"""What the live room tells a person after they act, and the few texts the browser code shows by itself.

One home for both doors: plain form posts (``forum/live/routes.py``, ``forum/audience/routes.py``) flash
these, and the pages hand the same texts to the browser (``forum/live/regions.py``), which never carries
English of its own. The texts are lazy: they are put into the language of whoever reads them when they are
used (``done_message``, ``ask_first``, ``client_messages`` return plain strings).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

DONE: dict[str, Any] = {
    "session.start": _l("The session is live."),
    "session.end": _l("The session has ended."),
    "question.goto": _l("Question changed."),
    "question.next": _l("Moved to the next question."),
    "question.previous": _l("Moved back to the previous question."),
    "question.add": _l("Question added to the agenda."),
    "floor.give": _l("Floor given."),
    "floor.release": _l("Nobody has the floor now."),
    "prompt.save": _l("Prompt saved."),
    "feed.set": _l("Transcript feed setting saved."),
    "projector.keep": _l("Projector setting saved."),
    "contribution.add": _l("Contribution recorded."),
    "contribution.edit": _l("Correction saved; the earlier wording is kept in the history."),
    "answer.save": _l("Your answer is saved."),
    "audience.ask": _l("Thank you — your question was sent."),
    "audience.ask:pending": _l(
        "Your question was sent for review. It appears on the board once a moderator approves it."
    ),
    "audience.ask:held": _l(
        "Your question was sent for review. It appears on the board once a moderator approves it."
    ),
    "audience.ask:approved": _l("Your question is on the board."),
    "audience.edit": _l("Your question was updated."),
    "audience.withdraw": _l("Your question was withdrawn."),
    "audience.vote": _l("Vote saved."),
    "audience.vote:up": _l("Your vote was added."),
    "audience.vote:down": _l("Your vote was taken back."),
    "audience.report": _l("Thank you — the moderators will look at it."),
    "poll.vote": _l("Your answer to the poll is counted."),
    "moderation.approve": _l("Approved; the question is on the board."),
    "moderation.reject": _l("The question was taken off the board; its author sees your reason."),
    "moderation.answered": _l("Saved."),
    "moderation.pin": _l("Saved."),
    "moderation.highlight": _l("Projector updated."),
    "moderation.merge": _l("Questions merged; their votes were added together."),
    "moderation.block": _l("Saved."),
    "moderation.settings": _l("Audience settings saved."),
    "poll.open": _l("The poll is open."),
    "poll.close": _l("The poll is closed."),
}

SAVED = _l("Saved.")

# Live actions that ask before they act, when the form says so (``ask_first``): the browser in a dialog
# (static/js/confirm.js), the server on a page when JavaScript is off (forum/live/routes.py).
ASK_FIRST: dict[str, dict[str, Any]] = {
    "session.end": {
        "question": _l("End the session for everyone?"),
        "detail": _l(
            "The audience can no longer ask, vote or answer polls, and the record moves on to review."
        ),
        "button": _l("End the session"),
    },
    "moderation.reject": {
        "question": _l("Take this question off the board?"),
        "detail": _l("The audience no longer sees it; its author is told."),
        "button": _l("Take down"),
    },
    "moderation.block": {
        "question": _l("Block this author?"),
        "detail": _l("They can no longer ask, vote or report in this event."),
        "button": _l("Block the author"),
    },
}

CLIENT: dict[str, Any] = {
    "connection": {
        "connected": _l("Connected"),
        "reconnecting": _l("Connection lost — reconnecting…"),
        "refused": _l("This page cannot join the live room."),
    },
    "saved": SAVED,
    "timeout": _l("The server did not answer. Check the connection and try again."),
    "question_moved": _l(
        "The session has moved on to another question. What you are typing stays with the question shown "
        "in this form until you save it."
    ),
    "changed_elsewhere": _l(
        "Someone else changed this text while you were editing it. Saving replaces their version with yours."
    ),
    "follow_current": _l("Switch to the current question (your draft is kept in this tab)"),
    "draft_restored": _l("Your unsaved draft for this question was restored."),
    # What the page's announcer (one polite live region, static/js/live/page.js) says, and only this.
    "new_waiting": _l("New audience question waiting for a decision."),
    "poll_opened": _l("A poll is open. Choose your answer on this page."),
    "question_approved": _l("A moderator approved your question; it is on the board now."),
    "question_rejected": _l("A moderator did not publish your question."),
    "session_ended": _l("The session has ended."),
}


def plain(value: Any) -> Any:
    """Lazy texts made plain strings in the current language, through dicts and lists (for JSON)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def done_message(name: str, result: Any = None) -> str:
    """The confirmation for an action, made specific by its result where that matters."""
    if isinstance(result, dict):
        if name == "audience.vote" and "up" in result:
            return str(DONE["audience.vote:up" if result["up"] else "audience.vote:down"])
        status = result.get("status")
        if isinstance(status, str) and f"{name}:{status}" in DONE:
            return str(DONE[f"{name}:{status}"])
    return str(DONE.get(name, SAVED))


def ask_first(name: str) -> dict[str, str] | None:
    """What an action asks before it acts, in the reader's language; None for actions that do not ask."""
    ask = ASK_FIRST.get(name)
    return plain(ask) if ask else None


def client_messages() -> dict[str, Any]:
    """The texts the browser shows by itself (confirmations come with each acknowledgement), and the
    questions some actions ask first, in the reader's language."""
    return plain({**CLIENT, "ask_first": ASK_FIRST})
