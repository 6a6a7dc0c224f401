"""Background scoring for large centers (Django Tasks API via the django-tasks backport)."""

from __future__ import annotations

from django_tasks import task

from kaohe.web.org.models import Center


@task()
def recompute_period(center_id: int, period: str) -> None:
    from kaohe.web.scoring.services import compute

    compute(Center.objects.get(pk=center_id), period)
