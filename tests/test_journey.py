"""An organizer builds the demo panel by hand, through the same pages a browser uses."""

from __future__ import annotations

import re
import tomllib

from sqlalchemy import select

from forum import PROJECT_ROOT
from forum.models import Event, EventStatus

SEED = tomllib.loads((PROJECT_ROOT / "seeds" / "open_net_telegram_panel.toml").read_text(encoding="utf-8"))


def _location_id(response) -> int:
    return int(re.search(r"/manage/(\d+)", response.headers["Location"]).group(1))


def test_build_the_demo_event_by_hand(app, client, db_session):
    response = client.post(
        "/auth/signup",
        data={
            "display_name": "Nth Room organizer",
            "email": "organizer@example.org",
            "password": "a sufficiently long passphrase",
            "confirm": "a sufficiently long passphrase",
        },
    )
    assert response.status_code == 302

    spec, host = SEED["event"], SEED["host"]
    response = client.post(
        "/manage/new",
        data={
            "title": spec["title"],
            "summary": spec["summary"],
            "starts_at": spec["starts_at"],
            "timezone": spec["timezone"],
            "language": spec["language"],
            "venue": spec["venue"],
            "host_name": host["name"],
            "host_about": host["about"],
        },
    )
    event_id = _location_id(response)

    for person in SEED["participants"]:
        data = {"role": person["role"], "display_name": person["display_name"]}
        data |= {k: person[k] for k in ("short_name", "affiliation") if k in person}
        assert client.post(f"/manage/{event_id}/panel/new", data=data).status_code == 302
    for question in SEED["questions"]:
        assert (
            client.post(f"/manage/{event_id}/agenda/new", data={"text": question["text"]}).status_code == 302
        )

    overview = client.get(f"/manage/{event_id}").get_data(as_text=True)
    assert "same wording" not in overview.lower()
    kimmy_id = max(int(i) for i in re.findall(r"/manage/\d+/panel/(\d+)/edit", overview))
    link_page = client.post(f"/manage/{event_id}/panel/{kimmy_id}/invitation").get_data(as_text=True)
    token = re.search(r"/invite/([^\"]+)\"", link_page).group(1)

    panelist_browser = app.test_client()
    portal = panelist_browser.get(f"/invite/{token}").get_data(as_text=True)
    field_ids = re.findall(r'name="(answer_\d+)"', portal)
    answers = {name: q["answers"]["Kimmy"] for name, q in zip(field_ids, SEED["questions"], strict=True)}
    assert panelist_browser.post(f"/invite/{token}", data=answers).status_code == 302

    assert client.post(f"/manage/{event_id}/status", data={"status": "scheduled"}).status_code == 302
    event = db_session.get(Event, event_id)
    assert event.status == EventStatus.SCHEDULED
    public = app.test_client().get(f"/e/{event.slug}").get_data(as_text=True)
    assert "Oh Kyoungmi (Open Net Korea)" in public
    assert "Would boycotting Telegram be an effective response?" in public
    answers_page = client.get(f"/manage/{event_id}/answers").get_data(as_text=True)
    assert answers_page.count("Kimmy") == 7
    assert db_session.scalar(select(Event.title)) == spec["title"]
