"""Import into the database: commit, idempotency, overlap, refusal, mapping, rollback, cards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from kaohe.ingest.normalize import LOCAL_TZ
from kaohe.web.audit.models import AuditEntry
from kaohe.web.facts.models import (
    Card,
    ExternalScore,
    ImportBatch,
    Leave,
    PinAlias,
    Punch,
    Rating,
    Vote,
)
from kaohe.web.facts.services import (
    ImportRefused,
    RowStatus,
    import_commit,
    import_preview,
    import_rollback,
)
from kaohe.web.ledger.models import Record, RecordSource
from kaohe.web.scoring.services import compute
from tests.ingest.helpers import csv_text, html_table, xlsx_bytes
from tests.ingest.test_formats import DT_HEADER, ZK_HEADER, dt_row
from tests.web.personas import World

DAT = (
    "   1001\t2024-04-01 08:01:02\t1\t0\t1\t0\n"
    "   1001\t2024-04-01 08:01:40\t1\t0\t1\t0\n"  # the same minute: one fact
    "   1002\t2024-04-01 08:15:00\t1\t0\t1\t0\n"
    "   2001\t2024-04-01 17:59:00\t1\t1\t1\t0\n"
)
MORE = "   1001\t2024-04-02 08:03:00\t1\t0\t1\t0\n"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)  # type: ignore[misc]


def written() -> tuple[int, ...]:
    """Everything an import may write, counted."""
    return (
        Punch.objects.count(),
        Leave.objects.count(),
        Rating.objects.count(),
        Card.objects.count(),
        Vote.objects.count(),
        ExternalScore.objects.count(),
        Record.objects.count(),
        ImportBatch.objects.count(),
        AuditEntry.objects.count(),
        PinAlias.objects.count(),
    )


def commit(
    w: World, kind: str, data: bytes, name: str = "A1_attlog.dat", **kw: object
) -> ImportBatch:
    return import_commit(
        center=w.center, kind=kind, data=data, by=w.inspector, file_name=name, **kw
    )  # type: ignore[arg-type]


def test_commit_then_same_file_again_adds_nothing(world: World) -> None:
    batch = commit(world, "punches", DAT.encode())
    assert (batch.rows, batch.added, batch.duplicates, batch.unmatched) == (4, 3, 1, 0)
    assert (batch.format, batch.imported_by, batch.kind) == (
        "zkteco_dat",
        world.inspector,
        "punches",
    )
    assert len(batch.sha256) == 64
    assert sorted(Punch.objects.values_list("person__code", "time", "device")) == [
        ("1001", at(2024, 4, 1, 8, 1, 2), "A1"),
        ("1002", at(2024, 4, 1, 8, 15), "A1"),
        ("2001", at(2024, 4, 1, 17, 59), "A1"),
    ]
    entry = AuditEntry.objects.get(action="facts.import")
    assert (entry.actor, entry.object_id) == (world.inspector, str(batch.pk))
    again = commit(world, "punches", DAT.encode())
    assert (again.added, again.duplicates) == (0, 4)
    assert Punch.objects.count() == 3


def test_overlapping_file_adds_only_new_rows(world: World) -> None:
    commit(world, "punches", DAT.encode())
    batch = commit(world, "punches", (DAT + MORE).encode())
    assert (batch.added, batch.duplicates) == (1, 4)
    assert Punch.objects.filter(batch=batch).get().time == at(2024, 4, 2, 8, 3)


def test_preview_marks_rows_and_writes_nothing(world: World) -> None:
    commit(world, "punches", DAT.encode())
    before = written()
    preview = import_preview(
        center=world.center, kind="punches", data=(DAT + MORE).encode(), file_name="A1_attlog.dat"
    )
    assert [r.status for r in preview.rows] == [
        RowStatus.EXISTING,
        RowStatus.EXISTING,
        RowStatus.EXISTING,
        RowStatus.EXISTING,
        RowStatus.NEW,
    ]
    assert preview.ok and written() == before


def test_a_bad_row_refuses_the_whole_file(world: World) -> None:
    before = written()
    with pytest.raises(ImportRefused) as refused:
        commit(world, "punches", (DAT + "   1002\tbroken\t1\n").encode())
    assert [(e.row, e.column) for e in refused.value.preview.errors] == [(5, "time")]
    assert written() == before


def test_unknown_pin_is_listed_then_mapped_and_remembered(world: World) -> None:
    data = (DAT + "   7777\t2024-04-01 08:20:00\t1\n").encode()
    before = written()
    preview = import_preview(
        center=world.center, kind="punches", data=data, file_name="A1_attlog.dat"
    )
    assert [(u.value, u.rows) for u in preview.unmatched] == [("7777", [5])]
    assert preview.rows[-1].status == RowStatus.UNMATCHED
    with pytest.raises(ImportRefused):
        commit(world, "punches", data)
    assert written() == before
    batch = commit(world, "punches", data, resolutions={"7777": world.li})
    assert batch.added == 4
    assert PinAlias.objects.get().person == world.li
    assert Punch.objects.filter(person=world.li).count() == 2
    later = commit(world, "punches", b"   7777\t2024-04-03 08:20:00\t1\n")
    assert later.added == 1 and Punch.objects.filter(person=world.li).count() == 3


def test_a_refused_import_keeps_no_mapping(world: World) -> None:
    data = b"   7777\t2024-04-01 08:20:00\t1\n   1001\tbroken\t1\n"
    before = written()
    with pytest.raises(ImportRefused):
        commit(world, "punches", data, resolutions={"7777": world.li})
    assert written() == before


def test_rollback_marks_facts_and_they_leave_the_score(world: World) -> None:
    rows = [
        ["办件编号", "窗口", "环节", "亮牌类型", "亮牌时间"],
        ["BJ1", "A1", "受理", "红牌", "2024-04-03 10:00"],
    ]
    base = compute(world.center, "2024-04").result["subjects"]["A1"]["score"]
    batch = commit(world, "cards", xlsx_bytes(rows), name="cards.xlsx")
    record = Record.objects.get()
    assert (record.item_code, record.window, record.source, record.import_batch) == (
        "case_mgmt.12",
        world.a1,
        RecordSource.IMPORT,
        batch,
    )
    carded = compute(world.center, "2024-04").result["subjects"]["A1"]["score"]
    assert Decimal(base) - Decimal(carded) == Decimal("0.2")
    import_rollback(batch=batch, by=world.inspector, reason="电子监察系统误发")
    batch.refresh_from_db()
    assert batch.rolled_back_by == world.inspector and batch.rollback_reason == "电子监察系统误发"
    assert Card.objects.get().rolled_back and Record.objects.get().voided
    assert compute(world.center, "2024-04").result["subjects"]["A1"]["score"] == base
    assert AuditEntry.objects.filter(action="facts.import_rollback").count() == 1
    again = commit(world, "cards", xlsx_bytes(rows), name="cards.xlsx")
    assert again.added == 1  # rolled back facts no longer count as existing


def test_rollback_needs_a_reason_and_happens_once(world: World) -> None:
    batch = commit(world, "punches", DAT.encode())
    with pytest.raises(ValueError, match="原因"):
        import_rollback(batch=batch, by=world.inspector, reason="  ")
    import_rollback(batch=batch, by=world.inspector, reason="重复导入")
    before = written()
    with pytest.raises(ValueError, match="已撤销"):
        import_rollback(batch=batch, by=world.inspector, reason="再来")
    assert written() == before
    assert Punch.objects.filter(rolled_back=True).count() == 3


def test_red_card_supersedes_the_yellow_of_an_earlier_import(world: World) -> None:
    head = ["办件编号", "承办人工号", "环节", "亮牌类型", "亮牌时间"]
    commit(
        world,
        "cards",
        xlsx_bytes([head, ["BJ9", "1001", "审查", "黄牌", "2024-04-03"]]),
        name="c1.xlsx",
    )
    batch = commit(
        world,
        "cards",
        xlsx_bytes(
            [
                head,
                ["BJ9", "1001", "审查", "红牌", "2024-04-05"],
                ["BJ9", "1001", "审查", "黄牌", "2024-04-03"],
            ]
        ),
        name="c2.xlsx",
    )
    assert (batch.added, batch.duplicates) == (1, 0)  # the file's own yellow is superseded

    yellow, red = Record.objects.order_by("id")
    assert (yellow.item_code, red.item_code) == ("case_mgmt.11", "case_mgmt.12")
    assert yellow.voided and "红牌" in yellow.void_reason and not red.voided
    assert red.person == world.zhang
    later = commit(
        world, "cards", xlsx_bytes([head, ["BJ9", "1001", "审查", "黄牌", "2024-04-06"]]), name="c3"
    )
    assert (later.added, later.duplicates) == (0, 1)


def test_cards_under_a_policy_without_card_items_are_refused(world: World) -> None:
    from kaohe.web.org.models import CenterPolicy

    CenterPolicy.objects.update(policy_id="guangde-2023")
    rows = [["办件编号", "窗口", "亮牌类型", "亮牌时间"], ["BJ1", "A1", "红牌", "2024-04-03"]]
    with pytest.raises(ImportRefused) as refused:
        commit(world, "cards", xlsx_bytes(rows), name="cards.xlsx")
    assert "没有红黄牌考核项" in refused.value.preview.errors[0].message
    assert Record.objects.count() == 0


# ------------------------------------------------------------------ real formats through the DB


def test_zkteco_pc_html_as_xls_in_gbk(world: World) -> None:
    rows = [
        ["考勤记录表"],
        ZK_HEADER,
        ["中心", "张三", "1001", "2024-04-03 08:02:00", "2", "指纹", ""],
    ]
    batch = commit(
        world, "punches", html_table(rows, charset="gb2312").encode("gbk"), name="考勤.xls"
    )
    assert (batch.format, batch.encoding, batch.added) == ("zkteco_pc", "gb18030", 1)
    assert Punch.objects.get().device == "2"  # the machine number is the source device


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_csv_in_gbk_and_utf8_bom(world: World, encoding: str) -> None:
    rows = [
        ["工号", "姓名", "认证时间", "设备名称"],
        ["1002", "李四", "2024-04-03 08:00:00", "门1"],
    ]
    batch = commit(world, "punches", csv_text(rows).encode(encoding), name="faces.csv")
    assert (batch.format, batch.added) == ("terminal", 1)
    assert Punch.objects.get().person == world.li


def test_dingtalk_title_rows_and_lost_zeros(world: World) -> None:
    rows: list[list[object]] = [
        ["原始记录 统计日期:2024-04-01 至 2024-04-30"],
        DT_HEADER,
        dt_row(1001.0, "24-04-06 星期六", "上班 08:30", "08:25", "正常"),
        dt_row("1001", "24-04-06 星期六", "下班 17:30", "次日 00:30", "正常"),
        dt_row("1001", "24-04-08 星期一", "上班 08:30", None, "缺卡"),
    ]
    batch = commit(world, "punches", xlsx_bytes(rows, merge_title="A1:Q1"), name="钉钉.xlsx")
    assert (batch.format, batch.rows, batch.added) == ("dingtalk", 3, 2)
    assert sorted(Punch.objects.values_list("time", flat=True)) == [
        at(2024, 4, 6, 8, 25),
        at(2024, 4, 7, 0, 30),
    ]


def test_leave_ratings_votes_and_scores(world: World) -> None:
    leave = [
        ["工号", "请假类型", "开始日期", "结束日期", "天数", "审批结果"],
        ["1001", "事假", "2024-04-08", "2024-04-09", 2, "同意"],
    ]
    assert commit(world, "leave", xlsx_bytes(leave), name="leave.xlsx").added == 1
    assert Leave.objects.values_list("person__code", "start", "end", "days").get() == (
        "1001", date(2024, 4, 8), date(2024, 4, 9), Decimal("2.00"),
    )  # fmt: skip
    ratings = [["评价编号", "评价时间", "窗口编号", "被评价人工号", "评价等级"],
               ["R1", "2024-04-01 10:00", "A1", "1001", "不满意"],
               ["R2", "2024-04-01 11:00", "窗口B1", None, "非常满意"]]  # fmt: skip
    assert commit(world, "ratings", xlsx_bytes(ratings), name="r.xlsx").added == 2
    assert sorted(
        Rating.objects.values_list("external_id", "window__code", "person__code", "stars")
    ) == [
        ("R1", "A1", "1001", 2),
        ("R2", "B1", None, 5),
    ]
    votes = [
        ["测评组", "投票人", "被测评对象", "测评等次"],
        ["服务对象", "票1", "A1", "满意"],
        ["服务对象", "票2", "单位B", "一般"],
    ]
    with pytest.raises(ImportRefused) as refused:
        commit(world, "votes", xlsx_bytes(votes), name="votes.xlsx")
    assert refused.value.preview.errors[0].column == "考核期"
    batch = commit(world, "votes", xlsx_bytes(votes), name="votes.xlsx", period="2024-Q2")
    assert batch.period == "2024-Q2"
    assert sorted(Vote.objects.values_list("period", "subject", "level")) == [
        ("2024-Q2", "A1", "满意"),
        ("2024-Q2", "B", "一般"),
    ]
    scores = [["考核对象", "得分"], ["A1", 98.5], ["9999", 90]]
    preview = import_preview(
        center=world.center, kind="scores", data=xlsx_bytes(scores), file_name="12345_2024-05.xlsx"
    )
    assert preview.period == "2024-05" and [u.value for u in preview.unmatched] == ["9999"]
    batch = commit(world, "scores", xlsx_bytes(scores[:2]), name="12345_2024-05.xlsx")
    assert ExternalScore.objects.values_list("period", "source", "subject", "value").get() == (
        "2024-05", "12345_2024-05", "A1", Decimal("98.5000"),
    )  # fmt: skip


def test_rolling_back_a_red_restores_exactly_the_yellow_it_voided(world: World) -> None:
    head = ["办件编号", "承办人工号", "环节", "亮牌类型", "亮牌时间"]
    two = [head, ["BJ9", "1001", "审查", "黄牌", "2024-04-03"], ["BJ8", "1001", "审查", "黄牌", "2024-04-03"]]  # fmt: skip
    yellows = commit(world, "cards", xlsx_bytes(two), name="c1.xlsx")
    before = scores_of(world)
    reds = commit(
        world, "cards", xlsx_bytes([head, ["BJ9", "1001", "审查", "红牌", "2024-04-05"]]), name="c2"
    )
    bj9, bj8 = (Record.objects.get(card__case=c, import_batch=yellows) for c in ("BJ9", "BJ8"))
    assert bj9.voided and not bj8.voided
    assert scores_of(world) != before
    import_rollback(batch=reds, by=world.inspector, reason="红牌误发")
    bj9.refresh_from_db()
    red = Record.objects.get(import_batch=reds)
    assert not bj9.voided and (bj9.voided_by, bj9.void_reason) == (None, "")
    assert red.voided and "红牌误发" in red.void_reason
    assert scores_of(world) == before
    restore = AuditEntry.objects.get(action="ledger.record_restore")
    assert "BJ9" in restore.summary and restore.before["void_reason"]
    assert Record.objects.count() == 3  # nothing deleted
    # the yellow's own import rolled back later voids it as usual, and is not restored again
    import_rollback(batch=yellows, by=world.inspector, reason="重复导入")
    assert Record.objects.filter(voided_at__isnull=True).count() == 0


def test_a_restored_yellow_of_a_rolled_back_import_stays_voided(world: World) -> None:
    head = ["办件编号", "承办人工号", "环节", "亮牌类型", "亮牌时间"]
    yellows = commit(
        world, "cards", xlsx_bytes([head, ["BJ9", "1001", "审查", "黄牌", "2024-04-03"]]), name="y"
    )
    reds = commit(
        world, "cards", xlsx_bytes([head, ["BJ9", "1001", "审查", "红牌", "2024-04-05"]]), name="r"
    )
    import_rollback(batch=yellows, by=world.inspector, reason="黄牌批次作废")
    import_rollback(batch=reds, by=world.inspector, reason="红牌误发")
    assert Record.objects.filter(voided_at__isnull=True).count() == 0
    assert not AuditEntry.objects.filter(action="ledger.record_restore").exists()


def scores_of(w: World) -> dict[str, object]:
    result = compute(w.center, "2024-04").result
    assert result is not None
    return {code: s["score"] for code, s in result["subjects"].items()}
