"""Forms for setting up an event. Limits come from forum.services.fields so both sides agree."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forum.services.fields import (
    ABOUT_MAX,
    AFFILIATION_MAX,
    NAME_MAX,
    QUESTION_MAX,
    SHORT_NAME_MAX,
    SLUG_MAX,
    SUMMARY_MAX,
    TITLE_MAX,
    URL_MAX,
    VENUE_MAX,
)

LANGUAGES = [
    SelectChoice(code, label)
    for code, label in (
        ("en", "English"),
        ("ko", "한국어 — Korean"),
        ("ja", "日本語 — Japanese"),
        ("zh", "中文 — Chinese"),
        ("es", "Español — Spanish"),
        ("fr", "Français — French"),
        ("de", "Deutsch — German"),
        ("pt", "Português — Portuguese"),
        ("it", "Italiano — Italian"),
        ("nl", "Nederlands — Dutch"),
        ("pl", "Polski — Polish"),
        ("uk", "Українська — Ukrainian"),
        ("ru", "Русский — Russian"),
        ("tr", "Türkçe — Turkish"),
        ("ar", "العربية — Arabic"),
        ("hi", "हिन्दी — Hindi"),
        ("id", "Bahasa Indonesia — Indonesian"),
        ("vi", "Tiếng Việt — Vietnamese"),
        ("th", "ไทย — Thai"),
        ("sw", "Kiswahili — Swahili"),
    )
]

ROLE_CHOICES = [
    SelectChoice("panelist", "Panelist"),
    SelectChoice("moderator", "Moderator"),
    SelectChoice("scribe", "Scribe"),
]


@cache
def timezone_choices() -> list[SelectChoice]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return [SelectChoice("UTC", "UTC"), *(SelectChoice(z, z.replace("_", " ")) for z in zones)]


class EventForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=TITLE_MAX)])
    slug = StringField(
        "Web address name",
        validators=[Optional(), Length(max=SLUG_MAX)],
        description="Used in links such as /e/telegram-panel. Leave empty to make one from the title.",
    )
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=SUMMARY_MAX)])
    starts_at = DateTimeLocalField(
        "Starts at (local time at the venue)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message="Enter the date and time the debate starts.")],
    )
    timezone = SelectField("Time zone", choices=[], validate_choice=True)
    language = SelectField("Language of the debate", choices=LANGUAGES)
    venue = StringField("Venue", validators=[Optional(), Length(max=VENUE_MAX)])
    online_url = StringField("Online link", validators=[Optional(), Length(max=URL_MAX)])
    host_name = StringField("Host organisation", validators=[DataRequired(), Length(max=NAME_MAX)])
    host_website = StringField("Host website", validators=[Optional(), Length(max=URL_MAX)])
    host_about = TextAreaField(
        "About the host",
        validators=[Optional(), Length(max=ABOUT_MAX)],
        description="Printed at the end of the published record.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class ParticipantForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    display_name = StringField("Full name", validators=[DataRequired(), Length(max=NAME_MAX)])
    short_name = StringField(
        "Short name",
        validators=[Optional(), Length(max=SHORT_NAME_MAX)],
        description="How the record refers to them, e.g. “Kimmy”. Defaults to the full name.",
    )
    affiliation = StringField("Affiliation", validators=[Optional(), Length(max=AFFILIATION_MAX)])


class QuestionForm(FlaskForm):
    text = TextAreaField("Question", validators=[DataRequired(), Length(max=QUESTION_MAX)])


class MoveForm(FlaskForm):
    """Move an item: either a direction (up/down) or a target position."""

    direction = HiddenField(validators=[Optional()])
    position = IntegerField("Position", validators=[Optional(), NumberRange(min=1, max=1000)])


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class AudienceSettingsForm(FlaskForm):
    questions_enabled = BooleanField("The audience may send questions")
    premoderation = BooleanField(
        "Pre-moderation", description="Questions wait for a moderator's approval before they appear."
    )
    word_list = TextAreaField(
        "Word list",
        validators=[Optional(), Length(max=ABOUT_MAX)],
        description="One word or phrase per line. Questions containing one are held for review instead of "
        "published. Latin-letter words match whole words; other scripts match anywhere.",
    )
    report_threshold = IntegerField(
        "Hide a question after this many reports",
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
        description="It stays hidden until a moderator decides.",
    )
