"""Random and malformed cells through ``import_commit``: never a traceback, never half a file.

Either the import succeeds, or it is refused with row-level errors or
unmatched numbers — and then nothing at all was written.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.web.facts.services import FACT_MODELS, ImportRefused, import_commit
from kaohe.web.ledger.models import Record
from tests.ingest.helpers import csv_text, xlsx_bytes
from tests.ingest.test_properties import HEADERS, cell
from tests.web.facts.test_import_services import written
from tests.web.personas import build_world

KNOWN = st.sampled_from(["1001", "1002", "2001", "A1", "B1", "窗口A2", "1001.0", "2024-05-06"])
grid = st.lists(st.lists(st.one_of(cell, KNOWN), max_size=8), max_size=6)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=st.sampled_from(sorted(HEADERS)), rows=grid, as_csv=st.booleans())
def test_random_cells_never_crash_or_half_write(
    kind: str, rows: list[list[object]], as_csv: bool
) -> None:
    table = [HEADERS[kind], *rows]
    data = csv_text(table).encode("utf-8") if as_csv else xlsx_bytes(table)
    with transaction.atomic():  # each example starts from the same world
        w = build_world()
        before = written()
        try:
            batch = import_commit(
                center=w.center,
                kind=kind,
                data=data,
                by=w.inspector,
                file_name="x.csv",
                period="2024-05",
            )
        except ImportRefused as exc:
            assert exc.preview.errors or exc.preview.unmatched
            assert written() == before
        else:
            facts = FACT_MODELS[kind]._default_manager.filter(batch=batch).count()  # type: ignore[attr-defined]
            assert facts == batch.added
            if kind == "cards":
                assert Record.objects.filter(import_batch=batch).count() == batch.added
        transaction.set_rollback(True)
