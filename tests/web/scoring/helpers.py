"""Shared set-up for the score page tests: a guangde center with records, and HTML readers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from kaohe.web.ledger.models import Record
from kaohe.web.org.models import CenterPolicy, Person, Window
from tests.web.personas import World

MAY = "2024-05"


def use_policy(world: World, policy_id: str) -> None:
    CenterPolicy.objects.filter(center=world.center).update(policy_id=policy_id)


def record(
    world: World,
    *,
    person: Person | None = None,
    window: Window | None = None,
    item: str = "discipline.01",
    day: date = date(2024, 5, 6),
    points: Decimal | None = None,
    voided: str = "",
) -> Record:
    """A ledger row written directly (the ledger's own services are another helper's)."""
    policy_id = CenterPolicy.objects.get(center=world.center).policy_id
    return Record.objects.create(
        center=world.center,
        person=person,
        window=window,
        policy_id=policy_id,
        item_code=item,
        item_name="测试项",
        date=day,
        points=points,
        voided_at=datetime(2024, 5, 20, tzinfo=UTC) if voided else None,
        void_reason=voided,
    )


def html(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def ranking_scores(page: str) -> dict[str, str]:
    """``data-subject`` → text of its ``score`` cell, in page order."""
    rows = re.findall(
        r'<tr data-subject="([^"]+)">.*?<td class="num score">([^<]*)</td>', page, re.S
    )
    return dict(rows)


def card_score(page: str) -> str:
    m = re.search(r'id="card-score"[^>]*>([^<]*)<', page)
    assert m, "no card score on the page"
    return m.group(1)


def trace_records(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr class="trace-[^"]+" data-record="(\d+)"', page)]
