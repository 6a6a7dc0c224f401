"""``kaohe import KIND FILE`` into the database, and ``kaohe bench import`` on a small size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaohe.cli import main
from kaohe.web.facts.models import ImportBatch, Punch
from kaohe.web.org.models import Center
from tests.web.facts.test_import_services import written
from tests.web.personas import World

DAT = "   1001\t2024-04-01 08:01:02\t1\n   1002\t2024-04-01 08:15:00\t1\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out[out.index("{") :] if argv[0] == "import" else out.splitlines()[-1])


def test_import_commits_and_is_idempotent(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "A1_attlog.dat"
    path.write_text(DAT, encoding="ascii")
    code, out = run(capsys, "import", "punches", str(path))
    assert code == 0
    batch = ImportBatch.objects.get()
    assert out["batch"] == batch.pk and (out["added"], out["duplicates"], out["unmatched"]) == (
        2,
        0,
        0,
    )
    assert (out["rows"], out["format"], batch.imported_by) == (2, "zkteco_dat", None)
    code, out = run(capsys, "import", "punches", str(path))
    assert code == 0 and (out["added"], out["duplicates"]) == (0, 2)
    assert Punch.objects.count() == 2


def test_import_refuses_errors_and_unmatched_writing_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.dat"
    path.write_text(DAT + "   4444\t2024-04-01 08:15:00\t1\n   1001\tbad\t1\n", encoding="ascii")
    before = written()
    code, out = run(capsys, "import", "punches", str(path))
    assert code == 1 and out["imported"] is False and out["batch"] is None
    assert out["errors"] == [{"row": 4, "column": "time", "message": out["errors"][0]["message"]}]  # type: ignore[index]
    assert out["unmatched"] == [{"value": "4444", "rows": [3]}]
    assert written() == before


def test_import_needs_one_center(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "x.dat"
    path.write_text(DAT, encoding="ascii")
    Center.objects.create(code="other", name="另一个中心")
    assert main(["import", "punches", str(path)]) == 2
    monkeypatch.setenv("KAOHE_CENTER", "test")
    assert main(["import", "punches", str(path)]) == 0
    assert ImportBatch.objects.get().center == world.center


@pytest.mark.django_db
def test_bench_import_small(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "bench", "import", "--people", "20", "--punches", "200")
    assert code == 0
    assert (out["people"], out["punches"], out["added"], out["reimport_added"]) == (20, 200, 200, 0)
    assert Punch.objects.count() == 200
    assert Center.objects.get().code.startswith("bench-")
