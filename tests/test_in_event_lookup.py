"""One rule for "that … is not in this event": a row of another event is never found through this one."""

from __future__ import annotations

import pytest

from forum.db import get_in_event
from forum.errors import NotFound
from forum.models import AgendaQuestion


def test_a_row_is_found_only_through_its_own_event(app, make_event, make_question, db_session):
    ours, theirs = make_event(), make_event()
    question = make_question(ours, "Ours?")
    other = make_question(theirs, "Theirs?")
    found = get_in_event(db_session, AgendaQuestion, question.id, ours.id, "Not on this agenda.")
    assert found.text == "Ours?"
    for record_id in (other.id, None, 2**31 - 1):
        with pytest.raises(NotFound, match=r"Not on this agenda\."):
            get_in_event(db_session, AgendaQuestion, record_id, ours.id, "Not on this agenda.")
    with pytest.raises(NotFound):
        get_in_event(
            db_session, AgendaQuestion, question.id, ours.id, "Hidden.", refuse_if=lambda q: q.text == "Ours?"
        )
