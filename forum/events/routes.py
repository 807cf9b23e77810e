"""Organizer pages for setting up an event. Each view parses, calls one service, and answers."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import access
from forum.audience import moderation, moderation_log
from forum.captions import links as caption_links
from forum.confirm import require_confirmation
from forum.db import get_session
from forum.errors import InvalidInput
from forum.events import agenda, contributions, events, invitations, panel
from forum.events.forms import (
    AudienceSettingsForm,
    EventForm,
    MoveForm,
    ParticipantForm,
    QuestionForm,
    StatusForm,
)
from forum.live.state import live_state_for_reading
from forum.models import AgendaQuestion, Event, EventStatus, Participant, ParticipantRole
from forum.web import form_page

bp = Blueprint("events", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def require_sign_in() -> None:
    """Every page here is for signed-in organizers."""


def _details(form: EventForm) -> events.EventDetails:
    return events.EventDetails(
        title=form.title.data or "",
        slug=form.slug.data,
        summary=form.summary.data,
        starts_at_local=form.starts_at.data,
        timezone=form.timezone.data or "",
        language=form.language.data or "",
        venue=form.venue.data,
        online_url=form.online_url.data,
        host_name=form.host_name.data or "",
        host_website=form.host_website.data,
        host_about=form.host_about.data,
    )


def _participant_details(form: ParticipantForm) -> panel.ParticipantDetails:
    return panel.ParticipantDetails(
        role=form.role.data or "",
        display_name=form.display_name.data or "",
        short_name=form.short_name.data,
        affiliation=form.affiliation.data,
    )


@bp.get("/")
def my_events() -> str:
    return render_template(
        "events/my_events.html", events=events.list_organizer_events(get_session(), current_user)
    )


@bp.route("/new", methods=["GET", "POST"])
def new_event() -> Response | tuple[str, int]:
    form = EventForm()
    if request.method == "GET":
        form.timezone.data = form.timezone.data or "UTC"

    def created(event: Event) -> Response:
        flash(_("Event created as a draft. Now add the panel and the questions."), "success")
        return redirect(url_for(".event_overview", event_id=event.id))

    return form_page(
        "events/event_form.html",
        form,
        lambda: events.create_event(get_session(), current_user, _details(form)),
        created,
        event=None,
    )


@bp.get("/<id:event_id>")
def event_overview(event_id: int) -> str:
    session = get_session()
    event = events.owned_event(session, current_user, event_id, with_panel=True)
    working = invitations.active_invitations(session, event.id)
    active_links = {p.id: working.get(p.id) for p in event.participants}
    return render_template(
        "events/event_overview.html",
        event=event,
        lifecycle=list(EventStatus),
        twins=agenda.duplicate_wordings(event.questions),
        answer_counts=agenda.count_answers(session, event.id),
        active_links=active_links,
        without_link=[p for p in event.participants if p.id not in working],
        problems=events.readiness_problems(session, event) if event.status == EventStatus.DRAFT else [],
        caption_link=caption_links.active_link(session, event.id),
        caption_segments=caption_links.segment_count(session, event.id),
        captions_public=live_state_for_reading(session, event.id).captions_public,
    )


@bp.route("/<id:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id: int) -> Response | tuple[str, int]:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    form = EventForm(obj=event)
    if request.method == "GET":
        form.starts_at.data = event.starts_at.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None)
        form.host_name.data = event.host.name
        form.host_website.data = event.host.website
        form.host_about.data = event.host.about

    def saved(_result: object) -> Response:
        flash(_("Event details saved."), "success")
        return redirect(url_for(".event_overview", event_id=event_id))

    return form_page(
        "events/event_form.html",
        form,
        lambda: events.update_event(session, current_user, event_id, _details(form)),
        saved,
        event=event,
    )


@bp.post("/<id:event_id>/delete")
def delete_event(event_id: int) -> Response:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    asked = require_confirmation(
        _("Delete “%(title)s” and everything in it?", title=event.title),
        button=_("Delete the draft event"),
        cancel_url=url_for(".event_overview", event_id=event_id),
        explanation=_(
            "The panel, the agenda and the prepared answers are deleted with it. This cannot be undone."
        ),
    )
    if asked:
        return asked
    events.delete_event(session, current_user, event_id)
    flash(_("The draft event was deleted."), "info")
    return redirect(url_for(".my_events"))


@bp.post("/<id:event_id>/status")
def change_status(event_id: int) -> Response:
    form = StatusForm()
    _require_valid(form)
    try:
        status = EventStatus(form.status.data)
    except ValueError:
        raise InvalidInput(_("Unknown event status.")) from None
    events.change_status(get_session(), current_user, event_id, status)
    done = {
        EventStatus.SCHEDULED: _("The event is now scheduled."),
        EventStatus.DRAFT: _("The event is a draft again."),
    }
    flash(done.get(status) or _("The event's status was changed."), "success")
    return redirect(url_for(".event_overview", event_id=event_id))


def _require_valid(form: MoveForm | StatusForm) -> None:
    if not form.validate_on_submit():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        raise InvalidInput(" ".join(messages) or _("The request was incomplete."))


# --- panel -----------------------------------------------------------------------------------------


@bp.route("/<id:event_id>/panel/new", methods=["GET", "POST"])
def new_participant(event_id: int) -> Response | tuple[str, int]:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    form = ParticipantForm()
    if request.method == "GET" and request.args.get("role") in set(ParticipantRole):
        form.role.data = request.args["role"]

    def added(person: Participant) -> Response:
        said = {
            ParticipantRole.MODERATOR: _("%(name)s added as moderator.", name=person.display_name),
            ParticipantRole.PANELIST: _("%(name)s added as panelist.", name=person.display_name),
            ParticipantRole.SCRIBE: _("%(name)s added as scribe.", name=person.display_name),
        }
        flash(said[person.role], "success")
        return redirect(url_for(".event_overview", event_id=event_id) + "#panel")

    return form_page(
        "events/participant_form.html",
        form,
        lambda: panel.add_participant(session, current_user, event_id, _participant_details(form)),
        added,
        event=event,
        person=None,
    )


@bp.route("/<id:event_id>/panel/<id:participant_id>/edit", methods=["GET", "POST"])
def edit_participant(event_id: int, participant_id: int) -> Response | tuple[str, int]:
    session = get_session()
    person = panel.owned_participant(session, current_user, event_id, participant_id)
    event = events.owned_event(session, current_user, event_id)
    form = ParticipantForm(obj=person)
    if request.method == "GET":
        form.role.data = person.role.value

    def saved(_result: object) -> Response:
        flash(_("Saved."), "success")
        return redirect(url_for(".event_overview", event_id=event_id) + "#panel")

    def save() -> None:
        panel.update_participant(session, current_user, event_id, participant_id, _participant_details(form))

    return form_page("events/participant_form.html", form, save, saved, event=event, person=person)


@bp.post("/<id:event_id>/panel/<id:participant_id>/delete")
def delete_participant(event_id: int, participant_id: int) -> Response:
    session = get_session()
    person = panel.owned_participant(session, current_user, event_id, participant_id)
    asked = require_confirmation(
        _("Remove %(name)s from the panel?", name=person.display_name),
        button=_("Remove"),
        cancel_url=url_for(".event_overview", event_id=event_id) + "#panel",
        explanation=_("Their invitation link stops working and their open screens are closed."),
    )
    if asked:
        return asked
    panel.remove_participant(session, current_user, event_id, participant_id)
    flash(_("Removed from the panel."), "info")
    return redirect(url_for(".event_overview", event_id=event_id) + "#panel")


@bp.post("/<id:event_id>/panel/<id:participant_id>/move")
def move_participant(event_id: int, participant_id: int) -> Response:
    form = MoveForm()
    _require_valid(form)
    offset = {"up": -1, "down": 1}.get(form.direction.data or "")
    if offset is None:
        raise InvalidInput(_("Say whether to move up or down."))
    panel.move_participant(get_session(), current_user, event_id, participant_id, offset)
    return redirect(url_for(".event_overview", event_id=event_id) + "#panel")


# --- agenda ----------------------------------------------------------------------------------------


def _warn_if_repeated(event_id: int, question_id: int) -> None:
    questions = agenda.ordered_questions(get_session(), event_id)
    twins = agenda.duplicate_wordings(questions).get(question_id)
    if twins:
        positions = ", ".join(str(p) for p in twins)
        flash(
            _("Careful: this question has the same wording as question %(numbers)s.", numbers=positions),
            "warning",
        )


@bp.route("/<id:event_id>/agenda/new", methods=["GET", "POST"])
def new_question(event_id: int) -> Response | tuple[str, int]:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    form = QuestionForm()

    def added(question: AgendaQuestion) -> Response:
        flash(_("Question %(number)s added.", number=question.position), "success")
        _warn_if_repeated(event_id, question.id)
        return redirect(url_for(".event_overview", event_id=event_id) + "#agenda")

    return form_page(
        "events/question_form.html",
        form,
        lambda: agenda.add_question(session, current_user, event_id, form.text.data or ""),
        added,
        event=event,
        question=None,
    )


@bp.route("/<id:event_id>/agenda/<id:question_id>/edit", methods=["GET", "POST"])
def edit_question(event_id: int, question_id: int) -> Response | tuple[str, int]:
    session = get_session()
    question = agenda.owned_question(session, current_user, event_id, question_id)
    event = events.owned_event(session, current_user, event_id)
    form = QuestionForm(obj=question)

    def saved(_result: object) -> Response:
        flash(_("Question %(number)s saved.", number=question.position), "success")
        _warn_if_repeated(event_id, question.id)
        return redirect(url_for(".event_overview", event_id=event_id) + "#agenda")

    return form_page(
        "events/question_form.html",
        form,
        lambda: agenda.update_question(session, current_user, event_id, question_id, form.text.data or ""),
        saved,
        event=event,
        question=question,
    )


@bp.post("/<id:event_id>/agenda/<id:question_id>/delete")
def delete_question(event_id: int, question_id: int) -> Response:
    session = get_session()
    question = agenda.owned_question(session, current_user, event_id, question_id)
    filed = agenda.count_answers(session, event_id).get(question.id, 0)
    asked = require_confirmation(
        (
            ngettext(
                "Delete question %(number)s and the %(num)s answer filed under it?",
                "Delete question %(number)s and the %(num)s answers filed under it?",
                filed,
                number=question.position,
            )
            if filed
            else _("Delete question %(number)s?", number=question.position)
        ),
        button=_("Delete the question"),
        cancel_url=url_for(".event_overview", event_id=event_id) + "#agenda",
        explanation=question.text,
    )
    if asked:
        return asked
    dropped = agenda.remove_question(session, current_user, event_id, question_id)
    if dropped:
        message = ngettext(
            "Question deleted with %(num)s answer filed under it.",
            "Question deleted with %(num)s answers filed under it.",
            dropped,
        )
    else:
        message = _("Question deleted.")
    flash(message, "info")
    return redirect(url_for(".event_overview", event_id=event_id) + "#agenda")


@bp.post("/<id:event_id>/agenda/<id:question_id>/move")
def move_question(event_id: int, question_id: int) -> Response:
    form = MoveForm()
    _require_valid(form)
    session = get_session()
    question = agenda.owned_question(session, current_user, event_id, question_id)
    if form.position.data:
        target = form.position.data
    elif form.direction.data in {"up", "down"}:
        target = question.position + (-1 if form.direction.data == "up" else 1)
    else:
        raise InvalidInput(_("Give a position or a direction to move the question."))
    agenda.move_question(session, current_user, event_id, question_id, target)
    return redirect(url_for(".event_overview", event_id=event_id) + "#agenda")


@bp.get("/<id:event_id>/answers")
def prepared_answers(event_id: int) -> str:
    session = get_session()
    event = events.owned_event(session, current_user, event_id, with_panel=True)
    panelists = [p for p in event.participants if p.role == ParticipantRole.PANELIST]
    by_panelist = contributions.prepared_answers_by_panelist(session, event.id)
    answers = {p.id: by_panelist.get(p.id, {}) for p in panelists}
    return render_template("events/prepared_answers.html", event=event, panelists=panelists, answers=answers)


# --- audience settings and moderation log ----------------------------------------------------------


@bp.route("/<id:event_id>/audience", methods=["GET", "POST"])
def audience_settings(event_id: int) -> Response | tuple[str, int]:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    form = AudienceSettingsForm(obj=event)

    def save() -> None:
        moderation.update_settings(
            session,
            access.organizer_actor(current_user, event),
            questions_enabled=form.questions_enabled.data,
            premoderation=form.premoderation.data,
            word_list=form.word_list.data or "",
            report_threshold=form.report_threshold.data,
        )

    def saved(_result: object) -> Response:
        flash(_("Audience settings saved."), "success")
        return redirect(url_for(".audience_settings", event_id=event_id))

    return form_page(
        "events/audience.html",
        form,
        save,
        saved,
        event=event,
        log=moderation_log.entries(session, current_user, event_id),
    )


# The invitation-link pages register on this blueprint too; they live apart because they are one job.
from forum.events import link_routes  # noqa: E402, F401
