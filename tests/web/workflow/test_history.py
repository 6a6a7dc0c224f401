"""Earlier published years reach the engine's ``history`` table (multi-year actions)."""

from __future__ import annotations

from django.utils import timezone

from kaohe.engine import Period
from kaohe.web.scoring import bridge
from kaohe.web.workflow.models import AssessmentPeriod, Snapshot
from kaohe.web.workflow.selectors import history_for
from tests.web.personas import World


def _published_year(
    world: World, year: str, grades: dict[str, str], actions: dict[str, list[str]]
) -> None:
    ap = AssessmentPeriod.objects.create(center=world.center, period=year)
    subjects = {
        code: {"kind": "person", "grade": grade, "actions": actions.get(code, [])}
        for code, grade in grades.items()
    }
    subjects["A1"] = {"kind": "window", "grade": "优秀", "actions": []}
    Snapshot.objects.create(
        period=ap,
        version=1,
        published_at=timezone.now(),
        by=world.leader,
        policy_id="baoshan-2024",
        result={"subjects": subjects},
        records=[],
        sha256="0" * 64,
    )


def test_history_comes_from_published_earlier_years_only(world: World) -> None:
    _published_year(world, "2022", {"1001": "优秀", "1002": "表扬"}, {"1001": ["promote"]})
    _published_year(world, "2023", {"1001": "优秀"}, {})
    _published_year(world, "2024", {"1001": "基本合格"}, {})
    AssessmentPeriod.objects.create(center=world.center, period="2021")  # never published
    rows = sorted(history_for(world.center, "2024"), key=lambda r: (r["year"], r["person"]))
    assert rows == [
        {"person": "1001", "year": 2022, "grade": "优秀", "promoted": True},
        {"person": "1002", "year": 2022, "grade": "表扬", "promoted": False},
        {"person": "1001", "year": 2023, "grade": "优秀", "promoted": False},
    ]
    assert history_for(world.center, "2024-05") == []
    table = bridge.facts(world.center, Period.parse("2024")).tables["history"]
    assert sorted(table["year"].to_list()) == [2022, 2022, 2023]
