"""Live regions: the browser's precompiled templates are the server's, and the filters both engines share
mean what they say. (The browser side of the same regions is checked in tests/test_browser_live.py.)"""

from __future__ import annotations

import re

import pytest

from forum import PROJECT_ROOT
from forum.live import regions

COMPILED = PROJECT_ROOT / "static" / "js" / "live" / "regions.compiled.js"


def test_the_browser_bundle_was_compiled_from_the_current_templates():
    first_line = COMPILED.read_text(encoding="utf-8").splitlines()[0]
    stored = re.fullmatch(r"// sources-sha256: ([0-9a-f]{64})", first_line)
    assert stored, "regions.compiled.js must start with the digest of its sources"
    assert stored.group(1) == regions.sources_digest(PROJECT_ROOT / "templates"), (
        "a template in templates/live/regions/ changed: run `make regions` and commit the result"
    )


def test_every_region_template_is_in_the_bundle():
    bundle = COMPILED.read_text(encoding="utf-8")
    for name in regions.region_sources(PROJECT_ROOT / "templates"):
        assert f'["{name}"]' in bundle


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (regions.SORTS["votes"], [3, 1, 2, 4]),
        (regions.SORTS["newest"], [3, 4, 2, 1]),
        (regions.SORTS["queue"], [1, 2, 3, 4]),
    ],
)
def test_board_orders(spec, expected):
    questions = [
        {"id": 1, "votes": 2, "pinned": False, "created_at": "2024-11-23T05:00:00.000Z"},
        {"id": 2, "votes": 2, "pinned": False, "created_at": "2024-11-23T05:01:00.000Z"},
        {"id": 3, "votes": 0, "pinned": True, "created_at": "2024-11-23T05:02:00.000Z"},
        {"id": 4, "votes": 1, "pinned": False, "created_at": "2024-11-23T05:02:00.000Z"},
    ]
    assert [q["id"] for q in regions.order_by(questions, spec)] == expected


def test_small_filters():
    assert regions.share(1, 3) == 33 and regions.share(1, 2) == 50 and regions.share(0, 0) == 0
    assert regions.share(5, 8) == 63  # halves round up, as Math.floor(x + 0.5) does in the browser
    assert regions.signed(3) == "+3" and regions.signed(0) == "0" and regions.signed(-2) == "-2"
    assert regions.clip("텔레그램, 이대로 써도 괜찮은가?", 4) == "텔레그램…"
    assert regions.clip("ab cd", 3) == "ab …", "nothing is trimmed, so both engines agree"
    assert regions.clip("short", 40) == "short"
    assert regions.chars("🙂a") == 2
    assert regions.seconds_since("2024-11-23T05:00:00.000Z", "2024-11-23T05:01:30.500Z") == 90.5
    assert regions.seconds_since(None, "2024-11-23T05:01:30.500Z") == 0
    assert regions.seconds_since("2024-11-23T05:02:00.000Z", "2024-11-23T05:01:00.000Z") == 0
    assert regions.clock("2024-11-23T05:07:00.000Z", "Asia/Seoul") == "14:07"
    people = regions.by_id([{"id": 7, "n": "a"}])
    assert people == {"7": {"id": 7, "n": "a"}}
    items = [{"id": 1, "status": "approved"}, {"id": 2, "status": "pending"}]
    assert regions.where(items, "status", ["pending"]) == [items[1]]
    assert regions.find(items, "id", 2) is items[1] and regions.find(items, "id", 9) is None


def test_limits_and_status_sets_come_from_the_services():
    from forum import limits
    from forum.models import AWAITING_STATUSES, VISIBLE_STATUSES

    assert regions.limits()["question"] == limits.AUDIENCE_QUESTION_MAX
    assert regions.limits()["name"] == limits.AUDIENCE_NAME_MAX
    statuses = regions.statuses()
    assert set(statuses["board"]) == {s.value for s in VISIBLE_STATUSES}
    assert set(statuses["queue"]) == {s.value for s in AWAITING_STATUSES}
    assert "merged" not in statuses["mine_off_board"] and "approved" not in statuses["mine_off_board"]
