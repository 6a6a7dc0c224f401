"""试算: an edited regulation run over past months beside the one in force, saving nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.test import Client
from django.urls import reverse

import kaohe
from kaohe.web.audit.models import AuditEntry
from kaohe.web.org.models import CenterPolicy
from kaohe.web.scoring.models import ScoreRun
from kaohe.web.scoring.services import compute
from tests.web.org.test_policy import D01, XXQU
from tests.web.personas import World
from tests.web.scoring.helpers import record, use_policy

GUANGDE = (Path(kaohe.__file__).parent / "policies" / "guangde-2023.yaml").read_text(
    encoding="utf-8"
)

EDIT = "org:policy_edit"


def _scored(world: World) -> None:
    """张三 late once in May and twice in June: his window A1 loses 0.5 a time under XX区."""
    record(world, person=world.zhang, day=date(2024, 5, 6))
    record(world, person=world.zhang, day=date(2024, 6, 3))
    record(world, person=world.zhang, day=date(2024, 6, 4))
    compute(world.center, "2024-05")
    compute(world.center, "2024-06")


def _post(client: Client, world: World, text: str, periods: list[str], **extra: str) -> object:
    client.force_login(world.inspector)
    return client.post(
        reverse(EDIT),
        {"text": text, "effective_from": "2024-07-01", "periods": periods, "dry_run": "1", **extra},
    )


def test_the_months_offered_are_the_scored_ones_newest_first(client: Client, world: World) -> None:
    _scored(world)
    client.force_login(world.inspector)
    r = client.get(reverse(EDIT))
    assert r.context["offered"] == ["2024-06", "2024-05"]
    assert r.context["form"].initial["periods"] == ["2024-06"]
    html = r.content.decode()
    assert 'name="dry_run"' in html and 'value="2024-05"' in html


def test_a_heavier_item_moves_the_window_by_the_difference_per_record(
    client: Client, world: World
) -> None:
    _scored(world)
    runs = list(ScoreRun.objects.order_by("period").values_list("period", "result"))
    edited = XXQU.replace(D01, D01.replace("points: 0.5", "points: 0.8"), 1)
    r = _post(client, world, edited, ["2024-05", "2024-06"])
    assert r.status_code == 200  # type: ignore[attr-defined]
    may, june = r.context["comparisons"]  # type: ignore[attr-defined]
    assert (may.period, june.period) == ("2024-05", "2024-06")
    assert (may.old_policy, may.new_policy) == ("xxqu-2022", "xxqu-2022")
    [a1] = [c for c in may.changes if c.code == world.a1.code]
    assert a1.delta == Decimal("-0.3")
    [a1] = [c for c in june.changes if c.code == world.a1.code]
    assert a1.delta == Decimal("-0.6") and a1.old_score - a1.new_score == Decimal("0.6")
    assert {c.code for c in june.changes} >= {world.a1.code}
    assert world.b1.code not in {c.code for c in june.changes if c.old_score != c.new_score}
    html = r.content.decode()  # type: ignore[attr-defined]
    assert 'id="dry-run"' in html and f'data-subject="{world.a1.code}"' in html
    assert "-0.6" in html
    # Nothing saved: no new regulation, the stored runs untouched, no audit row.
    assert CenterPolicy.objects.filter(center=world.center).count() == 1
    assert list(ScoreRun.objects.order_by("period").values_list("period", "result")) == runs
    assert not AuditEntry.objects.exists()


def test_the_same_text_changes_nothing(client: Client, world: World) -> None:
    _scored(world)
    r = _post(client, world, XXQU, ["2024-06"])
    [june] = r.context["comparisons"]  # type: ignore[attr-defined]
    assert june.changes == [] and june.subjects > 0 and not june.error
    assert "均无变化" in r.content.decode()  # type: ignore[attr-defined]


def test_an_invalid_text_is_reported_and_not_run(client: Client, world: World) -> None:
    _scored(world)
    bad = XXQU.replace(D01, D01.replace("points: 0.5", "points: abc"), 1)
    r = _post(client, world, bad, ["2024-06"])
    assert r.context["comparisons"] is None  # type: ignore[attr-defined]
    assert r.context["problems"] == [  # type: ignore[attr-defined]
        "test/custom.yaml: items[0](discipline.01).points: Input should be a valid decimal"
    ]


def test_a_month_not_offered_is_refused(client: Client, world: World) -> None:
    _scored(world)
    r = _post(client, world, XXQU, ["2023-01"])
    assert r.context["comparisons"] is None  # type: ignore[attr-defined]
    assert "periods" in r.context["form"].errors  # type: ignore[attr-defined]
    assert CenterPolicy.objects.filter(center=world.center).count() == 1


def test_a_month_the_calendar_does_not_know_says_so(client: Client, world: World) -> None:
    """A month scored once can fall outside the calendar later (its override removed): named, not a 500."""
    use_policy(world, "guangde-2023")  # counts working days, so it needs the year's calendar
    ScoreRun.objects.create(center=world.center, period="2099-03")
    r = _post(client, world, GUANGDE, ["2099-03"])
    [c] = r.context["comparisons"]  # type: ignore[attr-defined]
    assert "2099" in c.error and c.changes == []
    assert "无法试算" in r.content.decode()  # type: ignore[attr-defined]


def test_only_policy_managers_may_dry_run(client: Client, world: World) -> None:
    _scored(world)
    for user in (world.leader, world.chief, world.staff, world.auditor):
        client.force_login(user)
        r = client.post(
            reverse(EDIT),
            {"text": XXQU, "effective_from": "2024-07-01", "periods": ["2024-06"], "dry_run": "1"},
        )
        assert r.status_code == 403
