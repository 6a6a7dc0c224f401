"""宝山 2024 五(七)7: months graded 基本合格/不合格 and 巡查通报 counted together (Amb. 4: > 5)."""

from typing import Any

import pytest

from kaohe.engine import build_facts, build_org, load_policy, score

TRIGGER = "五(七)7"


def _run(bad_months: int, notices: int) -> list[str]:
    org = {
        "units": [{"id": "U1", "name": "宝山区政务服务中心"}],
        "windows": [{"id": "W1", "name": "综合窗口", "unit": "U1", "kind": "comprehensive"}],
        "people": [
            {"id": "A1", "name": "朱丽娟", "window": "W1", "unit": "U1", "employment": "purchased"}
        ],
    }
    grades = ["基本合格"] * (bad_months // 2) + ["不合格"] * (bad_months - bad_months // 2)
    grades += ["合格"] * (12 - len(grades))
    facts: dict[str, Any] = {
        "scores": [{"source": "rating_form", "subject": "A1", "value": 90}],
        "period_scores": [
            {"subject": "A1", "period": f"2024-{m:02d}", "score": 90, "grade": g}
            for m, g in enumerate(grades, start=1)
        ],
        "records": [
            {"date": f"2024-{m:02d}-10", "subject": "A1", "item": "conduct.02"}
            for m in range(1, notices + 1)
        ],
    }
    result = score(load_policy("baoshan-2024"), "2024", build_org(org), build_facts(facts))
    return [t.text for t in result.subjects["A1"].trace if TRIGGER in t.text]


@pytest.mark.parametrize(
    ("bad_months", "notices", "flagged"),
    [(3, 3, True), (2, 3, False), (0, 6, True), (6, 0, True), (5, 0, False), (1, 4, False)],
)
def test_monthly_results_and_notices_count_together(
    bad_months: int, notices: int, flagged: bool
) -> None:
    assert bool(_run(bad_months, notices)) is flagged
