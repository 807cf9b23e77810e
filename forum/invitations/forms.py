"""The prepared-answers form: one text area per preset question, built for the event at hand."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from forum.limits import CONTRIBUTION_MAX
from forum.models import AgendaQuestion


def answer_field_name(question_id: int) -> str:
    return f"answer_{question_id}"


def prepared_answers_form(questions: list[AgendaQuestion], current: dict[int, str]) -> FlaskForm:
    """A form class with an ``answer_<id>`` field per question, pre-filled with saved answers."""

    class PreparedAnswersForm(FlaskForm):
        pass

    for question in questions:
        setattr(
            PreparedAnswersForm,
            answer_field_name(question.id),
            TextAreaField(
                f"{question.position}. {question.text}",
                validators=[Optional(), Length(max=CONTRIBUTION_MAX)],
                default=current.get(question.id, ""),
            ),
        )
    return PreparedAnswersForm()
