"""Shared HTTP plumbing: error pages and JSON errors, form re-rendering, headers, template filters."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import IntegerConverter

from forum import limits, rate_limits
from forum.access import TOKEN_COOKIE, network_key, new_token, token_hash
from forum.boundary import database_refusal, refuse, roll_back_now
from forum.errors import DomainError, PermissionDenied, RateLimited

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    401: _l("Sign in to see this page."),
    403: _l("You are not allowed to do that."),
    404: _l("There is nothing at this address. Check the link, or go back to the home page."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Wait a moment and try again."),
}


def wants_json() -> bool:
    """True for API-style requests: JSON paths, JSON bodies, or clients that prefer JSON to HTML."""
    if request.path.startswith(("/api/", "/healthz", "/captions/")) or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def form_action(
    call: Callable[[], object],
    *,
    done: str | Callable[[str, object], str],
    back: str,
    refusals: tuple[type[DomainError], ...] = (DomainError,),
    name: str = "",
    onward: Callable[[object], str] | None = None,
) -> Response:
    """Run one service call for a plain form post, then go back (303) with a message.

    ``done`` is the message, or a function of the action's ``name`` and the call's result that words it;
    ``onward`` (a function of the result) is where a success goes instead of ``back``.
    A refusal is marked for the boundary, which rolls it back although the redirect is a success status.
    Errors not listed in ``refusals`` reach the error handler with their own status.
    """
    try:
        result = call()
    except refusals as error:
        refuse()
        flash(error.message, "error")
        return redirect(back, code=303)
    flash(done if isinstance(done, str) else done(name, result), "success")
    return redirect(onward(result) if onward is not None else back, code=303)


def _token_prefixes(app: Flask) -> tuple[str, ...]:
    """The address prefixes under which a secret link's token sits ("/invite/"), read from the URL map, so
    an unknown token, a wrong method or a new page there is covered too."""
    prefixes = app.extensions.get("forum.token_prefixes")
    if prefixes is None:
        rules = (rule.rule for rule in app.url_map.iter_rules() if "<token>" in rule.rule)
        prefixes = app.extensions["forum.token_prefixes"] = tuple(
            {rule.split("<token>")[0] for rule in rules}
        )
    return prefixes


def request_network_key() -> str | None:
    """This request's network address as the rate limits count it (a keyed, daily-rotated hash)."""
    return network_key(current_app.config["SECRET_KEY"], request.remote_addr)


def keep_private(response: Response) -> Response:
    """For a page that holds a secret link or is reached through one: no cache may keep it, and no link on
    it may pass the address on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def error_response(error: DomainError) -> Response:
    """Turn a domain error into a JSON body or an HTML page with the error's status."""
    if wants_json():
        response = jsonify(error=error.to_dict())
    else:
        response = Response(render_template("errors/error.html", error=error), mimetype="text/html")
    response.status_code = error.status
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def render_form(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """Render a form page; a submitted form with errors answers 422 so the boundary rolls back."""
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template(template, form=form, **context), status


def form_page(
    template: str,
    form: FlaskForm,
    save: Callable[[], Any],
    then: Callable[[Any], Response],
    **context: Any,
) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """A form page: the form, or on a valid submission the service call ``save``. A refusal is shown on the
    form (422; 403 when the person may not do this at all; 429 with Retry-After when they must wait; the
    boundary rolls back either way); a
    success goes on with ``then(result)`` (a message, a redirect).
    """
    refusal: DomainError | None = None
    if form.validate_on_submit():
        try:
            result = save()
        except DomainError as error:
            attach_error(form, error)
            refusal = error
        else:
            return then(result)
    page, status = render_form(template, form, **context)
    if isinstance(refusal, RateLimited):
        return page, 429, {"Retry-After": str(refusal.retry_after)}
    return page, 403 if isinstance(refusal, PermissionDenied) else status


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal on the form: field messages by the fields, the rest on top."""
    placed = False
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


class RecordIdConverter(IntegerConverter):
    """``<id:...>`` in routes: a positive integer that fits the database's INTEGER, else a plain 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=2**31 - 1)


def public_url_for(endpoint: str, **values: Any) -> str:
    """An absolute link for people outside this request: FORUM_PUBLIC_URL when set (behind a proxy)."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def duration_filter(seconds: float) -> str:
    from forum.formatting import duration

    return duration(seconds)


def watch_from_filter(url: str, seconds: float) -> str:
    from forum.formatting import watch_link

    return watch_link(url, seconds)


# --- The audience's anonymous identity (a cookie; used by the event page and the archive's comments) -------

TOKEN_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept


def issue_audience_token() -> str:
    """A new signed audience identity, counted against this network's ``identity`` limit (refused with
    RateLimited once reached: one address cannot mint itself a crowd of voters)."""
    rate_limits.enforce("identity", request_network_key())
    return new_token(current_app.config["SECRET_KEY"])


def audience_token_hash() -> str | None:
    """This browser's audience identity, hashed: the signed token in its cookie, or a new one minted on its
    first visit (sent back by ``keep_audience_token``).

    When its network has had too many new identities lately the page still shows and can be followed, the
    reason is flashed, and taking part waits for a later visit.
    """
    hashed = token_hash(request.cookies.get(TOKEN_COOKIE), current_app.config["SECRET_KEY"])
    if hashed is not None:
        return hashed
    try:
        token = g.new_audience_token = issue_audience_token()
    except RateLimited as refusal:
        flash(refusal.message, "error")
        return None
    return token_hash(token, current_app.config["SECRET_KEY"])


def cookies_secure() -> bool:
    """Whether cookies carry ``Secure``: on every request that came over HTTPS (directly, or through the
    proxies FORUM_PROXY_COUNT trusts), and always when FORUM_PUBLIC_URL is an https address."""
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked ``Secure`` by the same rule as every other cookie here.

    Its signer is built once per key instead of on every request: every live action (a Socket.IO event)
    opens the session too, and building the signer cost as much as a vote's database statement."""

    def __init__(self) -> None:
        self._signers: dict[tuple[Any, ...], Any] = {}

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookies_secure() if has_request_context() else bool(app.config.get("SESSION_COOKIE_SECURE"))

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if keys not in self._signers:
            self._signers = {keys: super().get_signing_serializer(app)}  # a new key replaces the old one
        return self._signers[keys]


def keep_audience_token(response: Response) -> Response:
    token = g.pop("new_audience_token", None)
    if token:
        response.set_cookie(
            TOKEN_COOKIE,
            token,
            max_age=TOKEN_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=cookies_secure(),
        )
    return response


def init_app(app: Flask) -> None:
    app.session_interface = _SessionCookies()
    app.after_request(keep_audience_token)
    app.url_map.converters["id"] = RecordIdConverter
    app.add_template_filter(duration_filter, "duration")
    app.add_template_filter(watch_from_filter, "watch_from")
    app.add_template_global(public_url_for, "public_url_for")
    app.add_template_global(limits, "limits")

    @app.errorhandler(DomainError)
    def on_domain_error(error: DomainError) -> Response:
        return error_response(error)

    @app.errorhandler(CSRFError)
    def on_csrf_error(_error: CSRFError) -> Response:
        return error_response(
            DomainError(
                _(
                    "This form has expired or was not sent from this site. "
                    "Go back, reload the page and submit again."
                ),
                code="csrf_failed",
            )
        )

    @app.errorhandler(SecurityError)
    def on_untrusted_host(_error: SecurityError) -> Response:
        # A Host header this site does not serve: no page can be built (its links would name that host).
        return Response(_("This site is not served at that address."), status=400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        known = _HTTP_MESSAGES.get(status)
        message = str(known) if known else (error.description or _("The request failed."))
        domain = DomainError(message, code=(error.name or "error").lower().replace(" ", "_"))
        domain.status = status
        if status >= 500:
            roll_back_now()
        return error_response(domain)

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(DBAPIError)
    def on_database_state(error: Exception) -> Response:
        refusal = database_refusal(error)
        if refusal is None:
            return on_unexpected(error)
        log.warning("%s %s: %s", request.method, request.url_rule, refusal.code)
        roll_back_now()
        return error_response(refusal)

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception) -> Response:
        # The route pattern, not the path: paths can hold invitation tokens.
        log.exception("unhandled error on %s %s", request.method, request.url_rule or "(no route)")
        roll_back_now()
        domain = DomainError(
            _("Something went wrong on our side; nothing was saved. Please try again."), code="server_error"
        )
        domain.status = 500
        return error_response(domain)

    @app.after_request
    def security_headers(response: Response) -> Response:
        if "public" in (response.headers.get("Cache-Control") or "") and (
            "Set-Cookie" in response.headers or "csrf_token" in g
        ):
            # A shared cache would hand this person's cookie or form token to the next reader.
            response.headers["Cache-Control"] = "private, no-cache"
        if request.is_secure:  # browsers that came over HTTPS once never try plain HTTP here again
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.path.startswith(_token_prefixes(app)):
            keep_private(response)  # every address that holds a secret link, whichever feature serves it
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        return response
