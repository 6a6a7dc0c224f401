"""考勤汇总 through the database: raw punches ≡ the equivalent summary, and never both.

The month: 张三 (1001) is late once, leaves early once, misses one sign-in and
is absent one whole day; 李四 (1002) takes half a day of 事假 and does not
come that day at all (the other half is 旷工); 王五 (2001) is always on time.
One center gets the raw punches, its twin the clock software's summary of
the same month; both get the same leave file.  Scored, they must agree.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from kaohe.cli import main
from kaohe.web.audit.models import AuditEntry
from kaohe.web.facts.models import AttendanceSummary, ImportBatch
from kaohe.web.facts.selectors import work_calendar
from kaohe.web.facts.services import ImportRefused, import_commit, import_preview, import_rollback
from kaohe.web.org.models import Assignment, Center, CenterPolicy, Person, Unit, Window
from kaohe.web.scoring.services import compute
from tests.ingest.helpers import csv_text, xlsx_bytes
from tests.web.facts.test_views import upload
from tests.web.personas import World

ON_TIME = {
    "guangde-2023": (time(8, 20), time(12, 5), time(14, 0), time(17, 40)),
    "luoshan": (time(8, 20), time(12, 5), time(12, 55), time(17, 40)),
}
PERIOD = {"guangde-2023": "2024-04", "luoshan": "2024-Q2"}
HEAD = ["工号", "姓名", "月份", "应出勤天数", "实际出勤天数", "迟到次数", "早退次数",
        "缺卡次数", "旷工天数", "请假天数"]  # fmt: skip


def april(w: World) -> list[date]:
    return work_calendar(w.center).workdays(date(2024, 4, 1), date(2024, 4, 30))


def punch_file(days: list[date], policy: str) -> bytes:
    """The month as a ZKTeco attlog: the events of the module docstring."""
    absent, late, early, missed, half = days[3], days[7], days[9], days[12], days[15]
    lines = []
    for pin in ("1001", "1002", "2001"):
        for day in days:
            if (pin == "1001" and day == absent) or (pin == "1002" and day == half):
                continue
            for i, t in enumerate(ON_TIME[policy]):
                if pin == "1001" and day == missed and i == 2:
                    continue
                if pin == "1001" and day == late and i == 0:
                    t = time(9, 5)
                if pin == "1001" and day == early and i == 3:
                    t = time(16, 30)
                lines.append(f"   {pin}\t{datetime.combine(day, t):%Y-%m-%d %H:%M:%S}\t1\n")
    return "".join(lines).encode()


def summary_file(days: list[date]) -> bytes:
    """What the clock software prints for the same month (a title row above the header)."""
    n = len(days)
    return xlsx_bytes(
        [
            ["2024年4月 考勤月度汇总"],
            HEAD,
            ["1001", "张三", "2024-04", n, n - 1, 1, 1, 1, 1, 0],
            ["1002", "李四", "2024-04", n, n - 1, 0, 0, 0, 0.5, 0.5],
            ["2001", "王五", "2024-04", n, n, 0, 0, 0, 0, 0],
        ],
        merge_title="A1:J1",
    )


def leave_file(days: list[date]) -> bytes:
    half = days[15].isoformat()
    return xlsx_bytes([["工号", "请假类型", "开始日期", "结束日期", "天数", "审批结果"],
                       ["1002", "事假", half, half, 0.5, "同意"]])  # fmt: skip


def twin(w: World) -> Center:
    """A second center with the same units, windows, people and posts (codes equal)."""
    center = Center.objects.create(code="twin", name="孪生中心", issuing_body="孪生")
    for cp in CenterPolicy.objects.filter(center=w.center):
        CenterPolicy.objects.create(
            center=center, policy_id=cp.policy_id, effective_from=cp.effective_from
        )
    units = {
        u.pk: Unit.objects.create(center=center, code=u.code, name=u.name)
        for u in Unit.objects.filter(center=w.center)
    }
    windows = {
        x.pk: Window.objects.create(
            center=center, unit=units.get(x.unit_id), code=x.code, name=x.name, kind=x.kind
        )
        for x in Window.objects.filter(center=w.center)
    }
    for p in Person.objects.filter(center=w.center):
        copy = Person.objects.create(center=center, code=p.code, name=p.name, pin=p.pin,
                                     role=p.role)  # fmt: skip
        for a in Assignment.objects.filter(person=p):
            Assignment.objects.create(person=copy, window=windows.get(a.window_id),
                                      unit=units.get(a.unit_id), start=a.start, end=a.end)  # fmt: skip
    return center


def setup(w: World, policy: str) -> Center:
    CenterPolicy.objects.update(policy_id=policy)
    Assignment.objects.filter(person=w.chen).delete()  # no punches, no summary: not scored here
    return twin(w)


def load(center: Center, w: World, kind: str, data: bytes, name: str) -> ImportBatch:
    return import_commit(center=center, kind=kind, data=data, by=w.inspector, file_name=name)


def scores(center: Center, period: str) -> dict[str, tuple[object, ...]]:
    result = compute(center, period).result
    assert result is not None, compute(center, period).error
    return {
        code: (s["score"], s["dimensions"], s.get("grade"), s.get("rank"))
        for code, s in result["subjects"].items()
    }


@pytest.mark.parametrize("policy", ["guangde-2023", "luoshan"])
def test_punches_and_the_equivalent_summary_score_the_same(world: World, policy: str) -> None:
    other = setup(world, policy)
    days = april(world)
    for center in (world.center, other):
        load(center, world, "leave", leave_file(days), "leave.xlsx")
    load(world.center, world, "punches", punch_file(days, policy), "A1_attlog.dat")
    batch = load(other, world, "attendance", summary_file(days), "汇总.xlsx")
    assert (batch.added, batch.period, batch.format) == (3, "2024-04", "attendance_summary")
    from_punches, from_summary = scores(world.center, PERIOD[policy]), scores(other, PERIOD[policy])
    assert from_punches.keys() == from_summary.keys() and {"1001", "1002", "2001"} <= set(
        from_punches
    )
    for code, got in from_punches.items():
        assert got == from_summary[code], code
    # the month's events cost points, so the equality is not 100 = 100
    assert from_punches["1001"][0] != from_punches["2001"][0]
    assert from_punches["1002"][0] != from_punches["2001"][0]


def test_the_summary_wins_over_punches_and_rollback_brings_them_back(world: World) -> None:
    policy = "guangde-2023"
    setup(world, policy)
    days = april(world)
    load(world.center, world, "punches", punch_file(days, policy), "A1_attlog.dat")
    from_punches = scores(world.center, "2024-04")
    # a summary that says everybody was perfect: it, not the punches, is scored
    n = len(days)
    perfect = xlsx_bytes([HEAD, *[[c, "", "2024-04", n, n, 0, 0, 0, 0, 0]
                                  for c in ("1001", "1002", "2001")]])  # fmt: skip
    preview = import_preview(center=world.center, kind="attendance", data=perfect, file_name="s")
    assert preview.ok and len(preview.warnings) == 3
    assert all("以考勤汇总为准" in w.message for w in preview.warnings)
    batch = load(world.center, world, "attendance", perfect, "s.xlsx")
    with_summary = scores(world.center, "2024-04")
    assert with_summary["1001"][0] == with_summary["2001"][0] != from_punches["1001"][0]
    import_rollback(batch=batch, by=world.inspector, reason="汇总有误")
    assert scores(world.center, "2024-04") == from_punches


def test_punches_for_a_month_with_a_summary_are_kept_but_the_preview_says_unscored(
    world: World,
) -> None:
    policy = "guangde-2023"
    setup(world, policy)
    days = april(world)
    n = len(days)
    perfect = xlsx_bytes([HEAD, ["1001", "", "2024-04", n, n, 0, 0, 0, 0, 0]])
    load(world.center, world, "attendance", perfect, "s.xlsx")
    summarised = scores(world.center, "2024-04")["1001"]
    punches = punch_file(days, policy)
    preview = import_preview(center=world.center, kind="punches", data=punches, file_name="a")
    assert preview.ok
    [warning] = preview.warnings  # one per month, not one per row
    assert "2024-04" in warning.message and "1001" in warning.message
    assert "1002" not in warning.message and "不计分" in warning.message
    load(world.center, world, "punches", punches, "A1_attlog.dat")
    after = scores(world.center, "2024-04")["1001"]
    assert after == summarised, (after, summarised)
    may = b"   1001\t2024-05-06 08:20:00\t1\n"
    assert import_preview(center=world.center, kind="punches", data=may, file_name="b").warnings == []


def test_one_summary_per_person_and_month(world: World) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    first = xlsx_bytes([HEAD, ["1001", "", "2024-04", 21, 21, 0, 0, 0, 0, 0]])
    batch = load(world.center, world, "attendance", first, "a.xlsx")
    again = load(world.center, world, "attendance", first, "a-copy.xlsx")
    assert (batch.added, again.added, again.duplicates) == (1, 0, 1)  # idempotent
    other = xlsx_bytes([HEAD, ["1001", "", "2024-04", 21, 20, 2, 0, 0, 1, 0]])
    before = AttendanceSummary.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ImportRefused) as refused:
        load(world.center, world, "attendance", other, "b.xlsx")
    error = refused.value.preview.errors[0]
    assert (error.row, error.column) == (2, "工号") and f"导入批次 {batch.pk}" in error.message
    assert (AttendanceSummary.objects.count(), AuditEntry.objects.count()) == before
    twice = xlsx_bytes([HEAD, ["1002", "", "2024-04", 21, 21, 0, 0, 0, 0, 0],
                        ["1002", "", "2024-04", 21, 20, 1, 0, 0, 0, 0]])  # fmt: skip
    with pytest.raises(ImportRefused) as refused:
        load(world.center, world, "attendance", twice, "c.xlsx")
    assert refused.value.preview.errors[0].row == 3
    import_rollback(batch=batch, by=world.inspector, reason="更正")
    assert load(world.center, world, "attendance", other, "b.xlsx").added == 1


def test_month_from_the_upload_a_quarter_is_refused(world: World) -> None:
    rows = [["工号", "应出勤天数", "迟到次数"], ["1001", 21, 1]]
    data = csv_text(rows).encode("gb18030")
    preview = import_preview(
        center=world.center, kind="attendance", data=data, file_name="x.csv", period="2024-05"
    )
    assert preview.ok and preview.period == "2024-05"
    assert preview.parsed.encoding == "gb18030"
    quarter = import_preview(
        center=world.center, kind="attendance", data=data, file_name="x.csv", period="2024-Q2"
    )
    assert any(e.column == "考核期" for e in quarter.errors)
    unknown = import_preview(center=world.center, kind="attendance", data=data, file_name="x.csv")
    assert [(e.row, e.column) for e in unknown.errors] == [(2, "月份")]
    # xxqu-2022 (the world's policy) has no sign-in schedule: said on the preview
    assert any("没有签到制度" in w.message for w in preview.warnings)


def test_upload_preview_commit_on_the_web_page(client: Client, world: World) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    client.force_login(world.inspector)
    days = april(world)
    where = upload(client, summary_file(days), name="考勤汇总-2024-04.xlsx", kind="attendance")
    page = client.get(where)
    html = page.content.decode()
    assert page.status_code == 200 and "考勤汇总" in html and "attendance_summary" in html
    assert AttendanceSummary.objects.count() == 0  # a preview writes nothing
    found = re.search(r"[0-9a-f]{64}", where)
    assert found is not None
    sha = found.group(0)
    response = client.post(
        reverse("facts:preview", args=[sha]),
        {"kind": "attendance", "name": "考勤汇总-2024-04.xlsx", "mapping": "", "period": ""},
    )
    assert response.status_code == 302
    batch = ImportBatch.objects.get(kind="attendance")
    assert (batch.added, batch.period) == (3, "2024-04")
    row = AttendanceSummary.objects.get(person=world.zhang)
    assert (row.late, row.early, row.missed, row.absent_days) == (1, 1, 1, 1)
    # the clock file of the same month afterwards: stored, and the page says it is not scored
    where = upload(client, punch_file(days, "guangde-2023"))
    assert "以考勤汇总为准" in client.get(where).content.decode()
    done = client.post(
        reverse("facts:preview", args=[re.findall(r"[0-9a-f]{64}", where)[0]]),
        {"kind": "punches", "name": "A1_attlog.dat", "mapping": "", "period": ""},
        follow=True,
    )
    html = done.content.decode()
    assert "已导入 A1_attlog.dat" in html and "不计分" in html


def test_cli_dry_run_and_import(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    path = tmp_path / "汇总.csv"
    rows = [["工号", "姓名", "月份", "应出勤天数", "迟到次数", "迟到时长(分钟)"],
            ["01001.0", "张三", "2024/4", 21, 2, 35], ["1002", "李四", "2024-04", 21, "", 9]]  # fmt: skip
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(rows).encode())
    assert main(["import", "attendance", str(path), "--dry-run", "--pin-width", "4"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["rows"], out["valid"], out["encoding"], out["format"]) == (
        2,
        1,
        "utf-8-sig",
        "attendance_summary",
    )
    assert out["errors"] == [
        {
            "row": 3,
            "column": "迟到时长(分钟)",
            "message": "only minutes given: the policy charges per occurrence (add the 次数 column)",
        }
    ]
    assert main(["import", "attendance", str(path)]) == 1  # refused: nothing written
    capsys.readouterr()
    assert AttendanceSummary.objects.count() == 0
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(rows[:2]).encode())
    assert main(["import", "attendance", str(path), "--pin-width", "4"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["added"], out["imported"]) == (1, True)
    row = AttendanceSummary.objects.get()
    assert (row.person, row.month, row.late, row.late_minutes) == (world.zhang, "2024-04", 2, 35)


def test_the_attendance_page_says_which_months_the_summary_scores(
    client: Client, world: World
) -> None:
    policy = "guangde-2023"
    setup(world, policy)
    days = april(world)
    load(world.center, world, "punches", punch_file(days, policy), "A1_attlog.dat")
    client.force_login(world.inspector)
    page = reverse("facts:attendance") + "?month=2024-04"
    html = client.get(page).content.decode()
    assert "按考勤汇总计分" not in html and 'id="imported-note"' not in html
    n = len(days)
    batch = load(world.center, world, "attendance",
                 xlsx_bytes([HEAD, ["1001", "", "2024-04", n, n - 3, 2, 0, 0, 3, 0]]), "s.xlsx")  # fmt: skip
    html = client.get(page).content.decode()
    assert 'id="imported-note"' in html and f"导入批次 {batch.pk}" in html
    row = re.search(r'<tr class="imported">(.*?)</tr>', html, re.S)
    assert row and "张三（1001）" in row.group(1) and "按考勤汇总计分" in row.group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells == [str(n), str(n - 3), "2", "0", "0", "3", "0"]  # the summary's, not the punches'
    assert "张三（1001）逐日" in html and "打卡仅供查看" in html
    import_rollback(batch=batch, by=world.inspector, reason="撤销")
    assert "按考勤汇总计分" not in client.get(page).content.decode()
