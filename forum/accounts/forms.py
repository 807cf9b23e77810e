"""Forms for organizer accounts. Server-side rules live in forum.accounts.accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from forum.limits import EMAIL_MAX, ORGANIZER_NAME_MAX, PASSWORD_MAX, PASSWORD_MIN


class SignUpForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=ORGANIZER_NAME_MAX)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=_l("At least %(num)s characters.", num=PASSWORD_MIN),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
