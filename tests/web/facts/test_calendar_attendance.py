"""The working-day calendar, attendance by day and 补卡 (punches ≡ summary: test_attendance_summary)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from kaohe.engine.workdays import UnknownYearError
from kaohe.web.audit.models import AuditEntry
from kaohe.web.facts.models import CalendarDay, CalendarYear, DayKind, Punch
from kaohe.web.facts.selectors import work_calendar
from kaohe.web.facts.services import (
    calendar_day_remove,
    calendar_day_set,
    calendar_year_enter,
    import_commit,
    punch_correct,
)
from kaohe.web.org.models import CenterPolicy
from tests.web.personas import World

FEB_2026 = (date(2026, 2, 1), date(2026, 2, 28))


def test_known_year_counts_and_a_local_closure(world: World) -> None:
    cal = work_calendar(world.center)
    assert cal.count(*FEB_2026) == 16 and cal.count(date(2026, 1, 1), date(2026, 12, 31)) == 248
    calendar_day_set(
        center=world.center,
        day=date(2026, 2, 10),
        kind=DayKind.HOLIDAY,
        note="台风停工",
        by=world.sysadmin,
    )
    assert work_calendar(world.center).count(*FEB_2026) == 15
    entry = CalendarDay.objects.get()
    calendar_day_remove(entry=entry, by=world.sysadmin)
    assert work_calendar(world.center).count(*FEB_2026) == 16
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "facts.calendar_day",
        "facts.calendar_day_remove",
    ]


def test_an_unknown_year_must_be_entered_first(world: World) -> None:
    with pytest.raises(UnknownYearError):
        work_calendar(world.center).count(date(2027, 1, 1), date(2027, 1, 31))
    calendar_year_enter(
        center=world.center,
        year=2027,
        days_off=[date(2027, 1, 1), date(2027, 2, 8), date(2027, 2, 9)],
        workdays=[date(2027, 2, 6)],
        note="国办发明电〔2026〕X号",
        by=world.sysadmin,
    )
    cal = work_calendar(world.center)
    assert 2027 in cal.known_years()
    # January 2027: 21 weekdays, 1/1 off → 20; February: 20 weekdays − 2 off + 1 Saturday = 19
    assert cal.count(date(2027, 1, 1), date(2027, 1, 31)) == 20
    assert cal.count(date(2027, 2, 1), date(2027, 2, 28)) == 19
    assert CalendarYear.objects.get().entered_by == world.sysadmin
    with pytest.raises(ValueError, match="已录入"):
        calendar_year_enter(
            center=world.center, year=2027, days_off=[], workdays=[], note="", by=world.sysadmin
        )


def test_calendar_page_is_the_sysadmins(client: Client, world: World) -> None:
    for persona in ("inspector", "leader", "chief", "staff", "secadmin", "auditor"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("facts:calendar")).status_code == 403
        response = client.post(
            reverse("facts:calendar"),
            {"action": "day", "date": "2026-02-10", "kind": "holiday", "note": "x"},
        )
        assert response.status_code == 403
    assert CalendarDay.objects.count() == 0 and AuditEntry.objects.count() == 0
    client.force_login(world.sysadmin)
    page = client.get(reverse("facts:calendar") + "?year=2031").content.decode()
    assert "工作日历未收录 2031 年的节假日安排" in page and "请先录入" in page
    response = client.post(
        reverse("facts:calendar"),
        {
            "action": "year",
            "year": "2031",
            "days_off": "2031-01-01\n2031-10-01~2031-10-03",
            "workdays": "",
            "note": "通知",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("facts:calendar") + "?year=2031").content.decode()
    assert "全年工作日" in page and "未收录" not in page
    assert work_calendar(world.center).count(date(2031, 10, 1), date(2031, 10, 3)) == 0


def test_attendance_by_day_and_scope(client: Client, world: World) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    data = "".join(
        f"   {pin}\t2024-04-01 {t}\t1\n"
        for pin, t in [("1001", "08:20:00"), ("1001", "12:05:00"), ("1001", "14:00:00"), ("1001", "17:40:00"),
                       ("2001", "09:05:00")]
    )  # fmt: skip
    import_commit(
        center=world.center,
        kind="punches",
        data=data.encode(),
        by=world.inspector,
        file_name="x.dat",
    )
    client.force_login(world.staff)
    html = client.get(reverse("facts:attendance") + "?month=2024-04").content.decode()
    assert "张三（1001）" in html and "王五" not in html and "补卡" not in html
    assert "上午上班 08:20 正常" in html
    client.force_login(world.other_staff)
    html = client.get(reverse("facts:attendance") + "?month=2024-04").content.decode()
    assert "上午上班 09:05 迟到" in html and "张三" not in html
    client.force_login(world.chief)
    html = client.get(reverse("facts:attendance") + "?month=2024-04").content.decode()
    assert "张三（1001）" in html and "李四（1002）" in html and "王五" not in html
    for persona in ("sysadmin", "secadmin", "auditor"):
        client.force_login(getattr(world, persona))
        assert client.get(reverse("facts:attendance")).status_code == 403


def test_correction_is_an_audited_punch_for_the_inspector_only(
    client: Client, world: World
) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    form = {
        "month": "2024-04",
        "person": str(world.zhang.pk),
        "when": "2024-04-01T08:25",
        "reason": "考勤机故障",
    }
    for persona in ("leader", "chief", "staff"):
        client.force_login(getattr(world, persona))
        assert client.post(reverse("facts:attendance"), form).status_code == 403
    assert Punch.objects.count() == 0 and AuditEntry.objects.count() == 0
    client.force_login(world.inspector)
    response = client.post(reverse("facts:attendance"), form)
    assert response.status_code == 302
    punch = Punch.objects.get()
    assert (punch.person, punch.device, punch.note, punch.batch) == (
        world.zhang,
        "correction",
        "考勤机故障",
        None,
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == ("facts.punch_correct", world.inspector)
    html = client.get(reverse("facts:attendance") + "?month=2024-04").content.decode()
    assert "上午上班 08:25 正常" in html and "考勤机故障" in html
    with pytest.raises(ValueError, match="原因"):
        punch_correct(
            person=world.zhang, when=datetime(2024, 4, 2, 8, 0), reason=" ", by=world.inspector
        )


def test_attendance_page_for_an_unknown_year(client: Client, world: World) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    client.force_login(world.inspector)
    html = client.get(reverse("facts:attendance") + "?month=2040-03").content.decode()
    assert "工作日历未收录 2040 年" in html
