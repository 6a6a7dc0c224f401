"""The cycle's world: 广德 (guangde-2023) in May 2024 with three findings.

窗口A1 92.5 (张三 未按规定着装), 窗口A2 92 (a late report), 窗口B1 91 (a late
change of items): A1 and A2 take the two 优质服务窗口 places, B1 none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from kaohe.engine import build_facts
from kaohe.web.ledger.models import Record
from kaohe.web.org.models import CenterPolicy
from kaohe.web.scoring import bridge
from kaohe.web.workflow.selectors import adjustments_for
from tests.web.personas import World

PERIOD = "2024-05"
DAY = date(2024, 5, 10)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    """The personas' passwords need no real hashing here (it costs seconds per test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def adjustments_reach_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the proposed change to ``bridge.facts`` does: pass leadership adjustments on."""
    original = bridge.facts

    def facts(center, period, *args, **kwargs):  # type: ignore[no-untyped-def]
        out = original(center, period, *args, **kwargs)
        rows = adjustments_for(center, str(period))
        if rows:
            out.tables["adjustments"] = build_facts({"adjustments": rows}).tables["adjustments"]
        return out

    monkeypatch.setattr(bridge, "facts", facts)
    yield


@dataclass
class Cycle:
    world: World
    b1_record: Record  # 王五's window: business.02, −2
    a2_record: Record  # business.11, −1
    zhang_record: Record  # discipline.01 on 张三, −1


def use_policy(world: World, policy_id: str) -> None:
    CenterPolicy.objects.filter(center=world.center).update(policy_id=policy_id)


def record(world: World, subject: object, item: str, name: str, day: date = DAY) -> Record:
    kwargs = {"person": subject} if subject.__class__.__name__ == "Person" else {"window": subject}
    return Record.objects.create(
        center=world.center,
        policy_id="guangde-2023",
        item_code=item,
        item_name=name,
        date=day,
        recorded_by=world.inspector,
        **kwargs,
    )


@pytest.fixture
def cycle(world: World) -> Cycle:
    use_policy(world, "guangde-2023")
    return Cycle(
        world=world,
        b1_record=record(world, world.b1, "business.02", "事项变更5个工作日内未调整报送"),
        a2_record=record(world, world.a2, "business.11", "未按时按质上报业务数据"),
        zhang_record=record(world, world.zhang, "discipline.01", "未按规定着装"),
    )


def full_attendance(world: World, months: list[str]) -> None:
    """Everyone present every working day (揭东 grades chief reps on their attendance)."""
    from kaohe.web.facts.models import AttendanceSummary

    for person in (world.zhang, world.li, world.wang, world.chen):
        for month in months:
            AttendanceSummary.objects.create(
                center=world.center,
                natural_key=f"{person.code}-{month}",
                person=person,
                month=month,
                workdays=20,
                present_days=20,
                expected_signins=80,
                missed_signins=0,
            )


def baoshan_year(world: World) -> None:
    """宝山: 张三 and 李四 are bought in as a service; their 评分表 gives 92 and 88; 1 000 元 a month."""
    from kaohe.web.facts.models import ExternalScore
    from kaohe.web.org.models import Employment, Person

    use_policy(world, "baoshan-2024")
    Person.objects.filter(pk__in=[world.zhang.pk, world.li.pk]).update(
        employment=Employment.PURCHASED
    )
    for person, value in ((world.zhang, 92), (world.li, 88)):
        ExternalScore.objects.create(
            center=world.center,
            natural_key=f"rating_form-2024-{person.code}",
            period="2024",
            source="rating_form",
            subject=person.code,
            value=value,
        )
    world.center.context = {"bonus_per_month": 1000}
    world.center.save(update_fields=["context"])
