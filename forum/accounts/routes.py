"""Sign up, sign in, sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from forum.accounts import accounts
from forum.accounts.forms import SignInForm, SignUpForm
from forum.db import get_session
from forum.extensions import login_manager
from forum.models import Organizer
from forum.web import form_page, request_network_key

bp = Blueprint("accounts", __name__, url_prefix="/auth")

login_manager.login_view = "accounts.sign_in"
login_manager.login_message = _l("Sign in to manage your events.")
login_manager.login_message_category = "info"
# The message is lazy; flash it as text in the language of the request that is turned away.
login_manager.localize_callback = str


@login_manager.user_loader
def load_organizer(user_id: str) -> Organizer | None:
    return accounts.organizer_for_session(get_session(), user_id)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect would let a phishing link borrow our address.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("events.my_events")


@bp.route("/signup", methods=["GET", "POST"])
def sign_up() -> Response | tuple[str, int]:
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("events.my_events"))
    form = SignUpForm()

    def welcome(organizer: Organizer) -> Response:
        login_user(organizer)
        flash(_("Welcome! Create your first event."), "success")
        return redirect(url_for("events.my_events"))

    return form_page(
        "accounts/sign_up.html",
        form,
        lambda: accounts.register_organizer(
            get_session(),
            email=form.email.data,
            display_name=form.display_name.data,
            password=form.password.data,
        ),
        welcome,
    )


@bp.route("/signin", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()

    def signed_in(organizer: Organizer) -> Response:
        login_user(organizer)
        return redirect(_safe_next(request.args.get("next")))

    return form_page(
        "accounts/sign_in.html",
        form,
        lambda: accounts.authenticate(
            get_session(),
            email=form.email.data,
            password=form.password.data,
            network_key=request_network_key(),
        ),
        signed_in,
    )


@bp.route("/signout", methods=["POST"])
@login_required
def sign_out() -> Response:
    accounts.end_every_session(get_session(), current_user)
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("site.home"))
