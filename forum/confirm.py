"""Ask before a destructive form post: the server side of confirm.js, for browsers without JavaScript.

A destructive route calls ``require_confirmation`` after it has found what it is about to change (so a
stranger still gets NotFound) and before it changes anything. Unless the post carries ``confirmed=1``,
the route answers with a short page asking the question, with the same form (its fields carried over)
plus ``confirmed=1``, and a way back. With JavaScript, static/js/confirm.js asks in a dialog instead and
adds ``confirmed=1`` itself, so the person is asked once either way.
"""

from __future__ import annotations

from flask import Response, render_template, request

CONFIRM_FIELD = "confirmed"
CONFIRM_VALUE = "1"


def is_confirmed() -> bool:
    """True when the current form post says the person has already confirmed."""
    return request.form.get(CONFIRM_FIELD) == CONFIRM_VALUE


def require_confirmation(
    question: str, *, button: str, cancel_url: str, explanation: str | None = None
) -> Response | None:
    """None when the post is confirmed; otherwise the confirmation page (status 200) to answer with.

    ``question`` heads the page ("Remove Oh Kyoungmi from the panel?"), ``button`` labels the confirming
    button, ``cancel_url`` is where Cancel leads, ``explanation`` optionally says what will follow.
    The page posts back to the same address with the same fields, so the route needs nothing else.
    """
    if is_confirmed():
        return None
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in {CONFIRM_FIELD, "csrf_token"}
    ]
    page = render_template(
        "confirm.html",
        question=question,
        button=button,
        cancel_url=cancel_url,
        explanation=explanation,
        action=request.script_root + request.path,
        carried=carried,
        confirm_field=CONFIRM_FIELD,
        confirm_value=CONFIRM_VALUE,
    )
    response = Response(page, status=200, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
