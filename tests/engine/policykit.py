"""Small inline policies and worlds for mechanism tests (deterministic, no randomness)."""

from __future__ import annotations

from typing import Any

import yaml

from kaohe.engine import RunResult, build_facts, build_org, score
from kaohe.engine.policy.loader import parse_policy
from kaohe.engine.policy.models import Policy

BASE = {
    "id": "test",
    "title": "测试办法",
    "source": "tests",
    "effective_from": "2020-01-01",
}


def policy(items: list[dict[str, Any]], scorecards: list[dict[str, Any]], **extra: Any) -> Policy:
    data = {**BASE, "items": items, "scorecards": scorecards, **extra}
    return parse_policy(yaml.safe_dump(data, allow_unicode=True), "test.yaml")


def item(code: str, dimension: str, **kw: Any) -> dict[str, Any]:
    out = {"code": code, "name": code, "dimension": dimension, "ref": "L1"}
    if not ({"points", "range", "free_entry"} & kw.keys()):
        out["points"] = 1
    out.update(kw)
    return out


def dim(code: str, kind: str = "deduct", **kw: Any) -> dict[str, Any]:
    return {"code": code, "name": code, "kind": kind, "ref": "L1", **kw}


def card(sid: str, typ: str, dims: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "name": sid,
        "subjects": {"type": typ, **kw.pop("subjects", {})},
        "period": kw.pop("period", "month"),
        "dimensions": dims,
        **kw,
    }


def world(people: int = 0, windows: int = 1, **org: Any) -> dict[str, Any]:
    ws = [{"id": f"W{i}", "name": f"窗口{i}", "unit": "U1"} for i in range(1, windows + 1)]
    ps = [
        {"id": f"P{i}", "name": f"人员{i}", "window": f"W{(i - 1) % windows + 1}", "unit": "U1"}
        for i in range(1, people + 1)
    ]
    return {
        "units": [{"id": "U1", "name": "单位"}],
        "windows": org.get("windows", ws),
        "people": org.get("people", ps),
    }


def run(
    pol: Policy,
    org: dict[str, Any],
    facts: dict[str, Any] | None = None,
    period: str = "2024-05",
    context: dict[str, Any] | None = None,
) -> RunResult:
    return score(pol, period, build_org(org), build_facts(facts or {}), context)
