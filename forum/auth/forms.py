"""Forms for organizer accounts. Server-side rules live in forum.services.accounts."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from forum.services.fields import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN


class SignUpForm(FlaskForm):
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=NAME_MAX)])
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=f"At least {PASSWORD_MIN} characters.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class SignInForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
