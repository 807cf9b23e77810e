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


def test_a_column_read_keeps_the_same_rule(app, make_event, make_question, db_session):
    """``columns_in_event`` (a hot read of plain columns, such as a vote's question) refuses what
    ``get_in_event`` refuses."""
    from sqlalchemy import bindparam, select

    from forum.db import columns_in_event

    ours, theirs = make_event(), make_event()
    question = make_question(ours, "Ours?")
    other = make_question(theirs, "Theirs?")
    statement = select(AgendaQuestion.id, AgendaQuestion.event_id, AgendaQuestion.text).where(
        AgendaQuestion.id == bindparam("record_id")
    )
    found = columns_in_event(db_session, statement, question.id, ours.id, "Not on this agenda.")
    assert (found.id, found.text) == (question.id, "Ours?")
    for record_id in (other.id, None, 2**31 - 1):
        with pytest.raises(NotFound, match=r"Not on this agenda\."):
            columns_in_event(db_session, statement, record_id, ours.id, "Not on this agenda.")
    with pytest.raises(NotFound):
        columns_in_event(
            db_session, statement, question.id, ours.id, "Hidden.", refuse_if=lambda row: row.text == "Ours?"
        )
