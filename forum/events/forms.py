"""Forms for setting up an event. Limits come from forum.fields so both sides agree."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forum.limits import (
    AGENDA_QUESTION_MAX,
    CONTRIBUTION_MAX,
    EMAIL_MAX,
    EVENT_SUMMARY_MAX,
    EVENT_TITLE_MAX,
    HOST_ABOUT_MAX,
    HOST_NAME_MAX,
    PARTICIPANT_AFFILIATION_MAX,
    PARTICIPANT_NAME_MAX,
    PARTICIPANT_SHORT_NAME_MAX,
    REPORT_THRESHOLD_MAX,
    SLUG_MAX,
    URL_MAX,
    VENUE_MAX,
    WORD_LIST_MAX,
)
from forum.models import AgendaQuestion

# The languages a debate can be held in, named in the interface's language ("Japanese", "일본어").
LANGUAGE_NAMES = (
    ("en", _l("English")),
    ("ko", _l("Korean")),
    ("ja", _l("Japanese")),
    ("zh", _l("Chinese")),
    ("es", _l("Spanish")),
    ("fr", _l("French")),
    ("de", _l("German")),
    ("pt", _l("Portuguese")),
    ("it", _l("Italian")),
    ("nl", _l("Dutch")),
    ("pl", _l("Polish")),
    ("uk", _l("Ukrainian")),
    ("ru", _l("Russian")),
    ("tr", _l("Turkish")),
    ("ar", _l("Arabic")),
    ("hi", _l("Hindi")),
    ("id", _l("Indonesian")),
    ("vi", _l("Vietnamese")),
    ("th", _l("Thai")),
    ("sw", _l("Swahili")),
)


def language_choices() -> list[SelectChoice]:
    """The choices of the language field, worded for the current interface language."""
    return [SelectChoice(code, str(name)) for code, name in LANGUAGE_NAMES]


def role_choices() -> list[SelectChoice]:
    return [
        SelectChoice("panelist", str(_l("Panelist"))),
        SelectChoice("moderator", str(_l("Moderator"))),
        SelectChoice("scribe", str(_l("Scribe"))),
    ]


@cache
def timezone_choices() -> list[SelectChoice]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [SelectChoice("UTC", "UTC"), *(SelectChoice(z, z.replace("_", " ")) for z in zones)]


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=EVENT_TITLE_MAX)])
    slug = StringField(
        _l("Web address name"),
        validators=[Optional(), Length(max=SLUG_MAX)],
        description=_l("Used in links such as /e/telegram-panel. Leave empty to make one from the title."),
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=EVENT_SUMMARY_MAX)])
    starts_at = DateTimeLocalField(
        _l("Starts at (local time at the venue)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=_l("Enter the date and time the debate starts."))],
    )
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=True)
    language = SelectField(_l("Language of the debate"), choices=[])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=VENUE_MAX)])
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=URL_MAX)])
    host_name = StringField(_l("Host organisation"), validators=[DataRequired(), Length(max=HOST_NAME_MAX)])
    host_website = StringField(_l("Host website"), validators=[Optional(), Length(max=URL_MAX)])
    host_about = TextAreaField(
        _l("About the host"),
        validators=[Optional(), Length(max=HOST_ABOUT_MAX)],
        description=_l("Printed at the end of the published record."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
        self.language.choices = language_choices()


class ParticipantForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=PARTICIPANT_NAME_MAX)])
    short_name = StringField(
        _l("Short name"),
        validators=[Optional(), Length(max=PARTICIPANT_SHORT_NAME_MAX)],
        description=_l("How the record refers to them, e.g. “Kimmy”. Defaults to the full name."),
    )
    affiliation = StringField(
        _l("Affiliation"), validators=[Optional(), Length(max=PARTICIPANT_AFFILIATION_MAX)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class QuestionForm(FlaskForm):
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=AGENDA_QUESTION_MAX)])


class InvitationMailForm(FlaskForm):
    """E-mailing a link just shown: the page posts the link's token back (the database keeps only a hash)."""

    token = HiddenField()
    email = EmailField(
        _l("Their e-mail address"),
        validators=[
            DataRequired(message=_l("Enter the address to send the link to.")),
            Length(max=EMAIL_MAX),
        ],
    )
    language = SelectField(
        _l("Language of the e-mail"),
        choices=[SelectChoice("ko", _l("Korean")), SelectChoice("en", _l("English"))],
        validate_choice=False,  # anything else is the event's language (forum.events.invitation_mail)
    )


class MoveForm(FlaskForm):
    """Move an item: either a direction (up/down) or a target position."""

    direction = HiddenField(validators=[Optional()])
    position = IntegerField(_l("Position"), validators=[Optional(), NumberRange(min=1, max=1000)])


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class AudienceSettingsForm(FlaskForm):
    questions_enabled = BooleanField(_l("The audience may send questions"))
    premoderation = BooleanField(
        _l("Pre-moderation"), description=_l("Questions wait for a moderator's approval before they appear.")
    )
    word_list = TextAreaField(
        _l("Word list"),
        validators=[Optional(), Length(max=WORD_LIST_MAX)],
        description=_l(
            "One word or phrase per line. Questions containing one are held for review instead of "
            "published. Latin-letter words match whole words; other scripts match anywhere."
        ),
    )
    report_threshold = IntegerField(
        _l("Hide a question after this many reports"),
        validators=[InputRequired(), NumberRange(min=1, max=REPORT_THRESHOLD_MAX)],
        description=_l("It stays hidden until a moderator decides."),
    )


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
