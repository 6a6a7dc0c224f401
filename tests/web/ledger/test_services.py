"""The ledger's write services: every rule a record must meet, audit, and never deleting."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kaohe.web.audit.models import AuditEntry
from kaohe.web.ledger.models import Evidence, Record, RecordSource
from kaohe.web.ledger.services import record_create, record_void
from kaohe.web.org.models import Center, Person
from tests.web.ledger.conftest import DAY, image_bytes, photo
from tests.web.personas import World


def create(world: World, **kwargs: object) -> Record:
    args: dict[str, object] = {
        "center": world.center,
        "by": world.inspector,
        "subject": world.zhang,
        "item_code": "discipline.01",
        "date": DAY,
    }
    args.update(kwargs)
    return record_create(**args)  # type: ignore[arg-type]


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_fixed_item_snapshots_name_dimension_and_leaves_points_empty(world: World) -> None:
    rec = create(world, points="0.5", count=2, note=" 迟到 ")
    assert (rec.policy_id, rec.item_code, rec.item_name, rec.dimension) == (
        "xxqu-2022",
        "discipline.01",
        "上班迟到早退擅自离岗缺岗",
        "discipline",
    )
    assert rec.points is None
    assert rec.count == 2
    assert rec.note == "迟到"
    assert rec.recorded_by == world.inspector
    assert rec.source == RecordSource.MANUAL


def test_fixed_item_refuses_other_points(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(world, points="0.3")
    assert list(errors_of(excinfo)) == ["points"]
    assert Record.objects.count() == 0


def test_range_item_needs_points_within_range(world: World) -> None:
    for bad in (None, "0.05", "0.31", "-0.2"):
        with pytest.raises(ValidationError) as excinfo:
            create(world, item_code="norms.20", points=bad)
        assert list(errors_of(excinfo)) == ["points"], bad
    assert Record.objects.count() == 0
    low = create(world, item_code="norms.20", points="0.1")
    high = create(world, item_code="norms.20", points=Decimal("0.3"))
    assert (low.points, high.points) == (Decimal("0.1"), Decimal("0.3"))


def test_free_entry_item_needs_points(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(world, item_code="case_mgmt.16")
    assert list(errors_of(excinfo)) == ["points"]
    assert create(world, item_code="case_mgmt.16", points="1.25").points == Decimal("1.25")


def test_unknown_item_future_date_bad_count_refused_together(world: World) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        create(world, item_code="nope.99", date=tomorrow, count=0)
    assert sorted(errors_of(excinfo)) == ["count", "date", "item_code"]
    assert "nope.99" in errors_of(excinfo)["item_code"][0]
    assert Record.objects.count() == 0


def test_major_and_exempt_only_where_the_policy_has_them(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(world, major=True, exempt=True)
    assert sorted(errors_of(excinfo)) == ["exempt", "major"]
    assert Record.objects.count() == 0


def test_subject_of_another_center_refused(world: World) -> None:
    other = Center.objects.create(code="other", name="别的中心")
    stranger = Person.objects.create(center=other, code="1001", name="外人")
    with pytest.raises(ValidationError) as excinfo:
        create(world, subject=stranger)
    assert list(errors_of(excinfo)) == ["subject"]
    assert Record.objects.count() == 0


def test_person_without_post_that_day_refused(world: World) -> None:
    # 陈首席's assignment starts 2024-01-01: a record for 2023 would stop the month scoring.
    with pytest.raises(ValidationError) as excinfo:
        create(world, subject=world.chen, date=DAY.replace(year=2023))
    assert list(errors_of(excinfo)) == ["subject"]


def test_window_subject(world: World) -> None:
    rec = create(world, subject=world.a1)
    assert (rec.window, rec.person) == (world.a1, None)


def test_photos_stored_by_content_hash(world: World) -> None:
    rec = create(world, photos=[photo("a.png"), photo("b.jpg", fmt="JPEG", color=(0, 90, 0))])
    ev = list(rec.evidence.order_by("id"))
    assert [(e.original_name, e.content_type) for e in ev] == [
        ("a.png", "image/png"),
        ("b.jpg", "image/jpeg"),
    ]
    assert ev[0].size == len(image_bytes())
    assert len(ev[0].sha256) == 64
    assert ev[0].file.name == f"evidence/2024/05/{ev[0].sha256[:2]}/{ev[0].sha256}.png"
    assert Path(ev[0].file.path).read_bytes() == image_bytes()


def test_text_file_named_jpg_refused(world: World) -> None:
    fake = SimpleUploadedFile("照片.jpg", b"not a picture at all", content_type="image/jpeg")
    with pytest.raises(ValidationError) as excinfo:
        create(world, photos=[photo(), fake])
    assert list(errors_of(excinfo)) == ["photos"]
    assert "照片.jpg" in errors_of(excinfo)["photos"][0]
    assert (Record.objects.count(), Evidence.objects.count()) == (0, 0)


def test_image_of_a_refused_type(world: World) -> None:
    with pytest.raises(ValidationError) as excinfo:
        create(world, photos=[photo("动图.png", fmt="GIF")])
    assert "GIF" in errors_of(excinfo)["photos"][0]
    assert Record.objects.count() == 0


def test_oversize_photo_refused(world: World, settings: object) -> None:
    settings.KAOHE_PHOTO_MAX_BYTES = 50  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as excinfo:
        create(world, photos=[photo()])
    assert list(errors_of(excinfo)) == ["photos"]
    assert (Record.objects.count(), Evidence.objects.count()) == (0, 0)


def test_create_writes_audit_with_after(world: World) -> None:
    rec = create(world, photos=[photo()])
    entry = AuditEntry.objects.get(action="record.create")
    assert (entry.actor, entry.center, entry.object_type, entry.object_id) == (
        world.inspector,
        world.center,
        "ledger.record",
        str(rec.pk),
    )
    assert entry.before is None
    assert entry.after["item_code"] == "discipline.01"
    assert entry.after["person_id"] == world.zhang.pk
    assert entry.after["evidence"] == [rec.evidence.get().sha256]


def test_void_keeps_record_and_audits_before_after(world: World) -> None:
    rec = create(world, photos=[photo()])
    voided = record_void(record=rec, by=world.inspector, reason="录错了人")
    assert voided.voided and voided.voided_by == world.inspector
    assert voided.void_reason == "录错了人"
    assert (Record.objects.count(), Evidence.objects.count()) == (1, 1)
    entry = AuditEntry.objects.get(action="record.void")
    assert entry.before["voided_at"] is None
    assert entry.before["void_reason"] == ""
    assert entry.after["void_reason"] == "录错了人"
    assert entry.after["voided_by_id"] == world.inspector.pk


def test_void_reason_required(world: World) -> None:
    rec = create(world)
    with pytest.raises(ValidationError) as excinfo:
        record_void(record=rec, by=world.inspector, reason="  ")
    assert list(errors_of(excinfo)) == ["reason"]
    rec.refresh_from_db()
    assert rec.voided_at is None
    assert not AuditEntry.objects.filter(action="record.void").exists()


def test_double_void_refused(world: World) -> None:
    rec = create(world)
    record_void(record=rec, by=world.inspector, reason="重复录入")
    with pytest.raises(ValidationError) as excinfo:
        record_void(record=rec, by=world.inspector, reason="再作废一次")
    assert list(errors_of(excinfo)) == ["reason"]
    rec.refresh_from_db()
    assert rec.void_reason == "重复录入"
    assert AuditEntry.objects.filter(action="record.void").count() == 1


def test_same_photo_twice_is_one_file(world: World) -> None:
    first = create(world, photos=[photo("a.png")])
    second = create(world, subject=world.li, photos=[photo("again.png")])
    a, b = first.evidence.get(), second.evidence.get()
    assert a.pk != b.pk
    assert a.file.name == b.file.name
    assert len(list(Path(a.file.path).parent.iterdir())) == 1
