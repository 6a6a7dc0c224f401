"""Issue 4 item 7: one fixture per real format and per trap, each imported through BOTH
the web page (upload → preview → commit, Django test client) and ``kaohe import``.

Every fixture says what a correct import stores; the two routes must store
exactly that (and the same thing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from kaohe.cli import main
from kaohe.ingest.normalize import LOCAL_TZ
from kaohe.web.facts.models import AttendanceSummary, ImportBatch, Punch
from kaohe.web.org.models import CenterPolicy
from tests.ingest.helpers import csv_text, html_table, xls_bytes, xlsx_bytes
from tests.ingest.test_formats import DT_HEADER, ZK_HEADER, dt_row
from tests.web.facts.test_views import upload
from tests.web.personas import World


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)  # type: ignore[misc]


@dataclass(frozen=True)
class Fixture:
    kind: str
    name: str
    data: Callable[[], bytes]
    stored: Callable[[], object]
    """What the database holds afterwards (compared with ``expect``)."""
    expect: object
    format: str
    unknown: str = ""
    """An unknown PIN the import must list, mapped to 张三 on the web page."""


def punches() -> list[tuple[str, datetime]]:
    return sorted((p.person.code, p.time) for p in Punch.objects.select_related("person"))


TERMINAL = [["工号", "姓名", "认证时间", "设备名称"], ["1002", "李四", "2024-04-03 08:00:00", "门1"]]
FIXTURES = {
    "gbk_csv": Fixture(
        "punches", "faces.csv", lambda: csv_text(TERMINAL).encode("gbk"), punches,
        [("1002", at(2024, 4, 3, 8, 0))], "terminal",
    ),
    "utf8_bom_csv": Fixture(
        "punches", "faces.csv", lambda: csv_text(TERMINAL).encode("utf-8-sig"), punches,
        [("1002", at(2024, 4, 3, 8, 0))], "terminal",
    ),
    "html_as_xls_gbk": Fixture(
        "punches",
        "考勤.xls",
        lambda: html_table(
            [["考勤记录表"], ZK_HEADER, ["中心", "张三", "1001", "2024-04-03 08:02:00", "2", "指纹", ""]],
            charset="gb2312",
        ).encode("gbk"),
        punches, [("1001", at(2024, 4, 3, 8, 2))], "zkteco_pc",
    ),
    "real_biff_xls": Fixture(
        "punches",
        "考勤.xls",
        lambda: xls_bytes(
            [["考勤记录表"], ZK_HEADER, ["中心", "李四", 1002, "2024-04-03 08:04:00", 1, "指纹", ""]]
        ),
        punches, [("1002", at(2024, 4, 3, 8, 4))], "zkteco_pc",
    ),
    "dingtalk_title_rows_overnight": Fixture(
        "punches",
        "钉钉.xlsx",
        lambda: xlsx_bytes(
            [
                ["原始记录 统计日期:2024-04-01 至 2024-04-30"],
                DT_HEADER,
                dt_row(1001.0, "24-04-06 星期六", "上班 08:30", "08:25", "正常"),  # lost-zero float
                dt_row("1001", "24-04-06 星期六", "下班 17:30", "次日 00:30", "正常"),  # overnight
                dt_row("1001", "24-04-08 星期一", "上班 08:30", None, "缺卡"),
            ],
            merge_title="A1:Q1",
        ),
        punches, [("1001", at(2024, 4, 6, 8, 25)), ("1001", at(2024, 4, 7, 0, 30))], "dingtalk",
    ),
    "mangled_numbers": Fixture(
        "punches",
        "faces.xlsx",
        lambda: xlsx_bytes([TERMINAL[0], [1001.0, "张三", "2024-04-03 08:01", ""],
                            ["1.002E+3", "李四", "2024-04-03 08:03", ""]]),
        punches, [("1001", at(2024, 4, 3, 8, 1)), ("1002", at(2024, 4, 3, 8, 3))], "terminal",
    ),
    "overnight_sign_out_dat": Fixture(
        "punches",
        "A1_attlog.dat",
        lambda: b"   2001\t2024-04-08 08:10:00\t1\n   2001\t2024-04-09 00:40:00\t1\n",
        punches, [("2001", at(2024, 4, 8, 8, 10)), ("2001", at(2024, 4, 9, 0, 40))], "zkteco_dat",
    ),
    "duplicate_punches": Fixture(
        "punches",
        "A1_attlog.dat",
        lambda: b"   1001\t2024-04-08 08:10:02\t1\n   1001\t2024-04-08 08:10:40\t1\n"
        b"   1001\t2024-04-08 08:10:02\t1\n",
        punches, [("1001", at(2024, 4, 8, 8, 10, 2))], "zkteco_dat",
    ),
    "unknown_pin": Fixture(
        "punches",
        "A1_attlog.dat",
        lambda: b"   7777\t2024-04-08 08:20:00\t1\n",
        punches, [("1001", at(2024, 4, 8, 8, 20))], "zkteco_dat", unknown="7777",
    ),
    "attendance_summary_gbk_csv": Fixture(
        "attendance",
        "考勤汇总2024-04.csv",
        lambda: csv_text([["月度汇总"], ["工号", "姓名", "应出勤天数", "实际出勤天数", "迟到次数",
                                       "上班缺卡次数", "下班缺卡次数", "旷工天数"],
                          ["1001", "张三", 21, 20, 2, 1, 1, 1]]).encode("gbk"),
        lambda: list(AttendanceSummary.objects.values_list("person__code", "month", "late", "missed", "absent_days")),
        [("1001", "2024-04", 2, 2, 1)], "attendance_summary",
    ),
}


def via_web(client: Client, w: World, fx: Fixture) -> None:
    client.force_login(w.inspector)
    where = upload(client, fx.data(), name=fx.name, kind=fx.kind)
    page = client.get(where)
    assert page.status_code == 200 and fx.format in page.content.decode()
    found = re.search(r"[0-9a-f]{64}", where)
    assert found is not None
    form = {"kind": fx.kind, "name": fx.name, "mapping": "", "period": ""}
    if fx.unknown:
        assert fx.unknown in page.content.decode()
        form["resolve-0"] = str(w.zhang.pk)
    response = client.post(reverse("facts:preview", args=[found.group(0)]), form)
    assert response.status_code == 302, response.content.decode()[:2000]


def via_cli(tmp_path: Path, w: World, fx: Fixture, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / fx.name
    path.write_bytes(fx.data())
    assert main(["import", fx.kind, str(path), "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["format"], dry["errors"]) == (fx.format, [])
    code = main(["import", fx.kind, str(path)])
    out = capsys.readouterr().out
    if fx.unknown:  # refused, listed, nothing written; mapped, it imports
        assert code == 1 and fx.unknown in out and not Punch.objects.exists()
        w.zhang.pin_aliases.create(center=w.center, pin=fx.unknown)
        code = main(["import", fx.kind, str(path)])
        out = capsys.readouterr().out
    assert code == 0, out
    assert json.loads(out[out.index("{") :])["imported"] is True


@pytest.mark.parametrize("route", ["web", "cli"])
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_imports_correctly(
    client: Client,
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    route: str,
) -> None:
    CenterPolicy.objects.update(policy_id="guangde-2023")
    fx = FIXTURES[name]
    if route == "web":
        via_web(client, world, fx)
    else:
        via_cli(tmp_path, world, fx, capsys)
    assert fx.stored() == fx.expect
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.format) == (fx.kind, fx.format)
