"""Steps of the cycle as the right personas take them, with dates given explicitly."""

from __future__ import annotations

from datetime import date

from kaohe.web.workflow import services
from kaohe.web.workflow.models import AssessmentPeriod, Snapshot
from tests.web.personas import World

PUBLICITY_DAY = date(2024, 6, 3)
AFTER_PUBLICITY = date(2024, 6, 20)


def open_period(world: World, period: str = "2024-05") -> AssessmentPeriod:
    return services.period_create(center=world.center, period=period, by=world.inspector)


def to_publicity(world: World, p: AssessmentPeriod, day: date | None = PUBLICITY_DAY) -> None:
    services.period_review(period=p, by=world.inspector)
    services.period_start_publicity(period=p, by=world.inspector, today=day)


def publish(world: World, p: AssessmentPeriod) -> Snapshot:
    """From publicity to a published snapshot, once publicity is over."""
    services.period_approve(period=p, by=world.leader, today=AFTER_PUBLICITY)
    return services.period_publish(period=p, by=world.inspector, today=AFTER_PUBLICITY)


def run_through(world: World, period: str = "2024-05") -> tuple[AssessmentPeriod, Snapshot]:
    p = open_period(world, period)
    to_publicity(world, p)
    snap = publish(world, p)
    p.refresh_from_db()
    return p, snap
