"""Reads for the organisation and policy pages.

Scope comes from :mod:`kaohe.web.accounts.scope`; the one addition here is
the system administrator, who manages the organisation (but sees no scores)
and so sees every window and person of his center on these pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kaohe.engine import Policy
from kaohe.engine.policy.models import Item
from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.scope import has_role, visible_people, visible_windows
from kaohe.web.org.models import (
    Assignment,
    Center,
    CenterPolicy,
    Person,
    PolicySource,
    Window,
)
from kaohe.web.scoring import bridge

#: Roles that change the organisation and the regulation.
MANAGERS = (Role.SYSADMIN, Role.INSPECTOR)
#: Roles that open the organisation pages at all (chief and staff: their scope only).
ORG_READERS = (Role.SYSADMIN, Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)
#: Roles that read the regulation page.
POLICY_READERS = (Role.SYSADMIN, Role.INSPECTOR, Role.LEADER)
#: Roles whose forms need the item catalog.
CATALOG_USERS = (Role.SYSADMIN, Role.INSPECTOR, Role.LEADER, Role.CHIEF, Role.STAFF)


def can_manage(user: Any) -> bool:
    return has_role(user, *MANAGERS)


def org_windows(user: User) -> QuerySet[Window]:
    if user.role == Role.SYSADMIN:
        return Window.objects.filter(center_id=user.center_id)
    return visible_windows(user)


def org_people(user: User) -> QuerySet[Person]:
    if user.role == Role.SYSADMIN:
        return Person.objects.filter(center_id=user.center_id)
    return visible_people(user)


def current_filter(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start__lte": on}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": on})
    )


def window_list(user: User, on: date | None = None) -> QuerySet[Window]:
    """Windows in scope with the number of people in post on ``on`` (today)."""
    day = on or timezone.localdate()
    return (
        org_windows(user)
        .select_related("unit", "hall")
        .annotate(
            staff_count=Count(
                "assignments__person",
                filter=current_filter(day, "assignments__"),
                distinct=True,
            )
        )
        .order_by("unit__code", "code")
    )


@dataclass(frozen=True)
class PeopleFilter:
    unit: str = ""
    window: str = ""
    role: str = ""
    employment: str = ""
    active: str = ""  # "" any, "1" in post, "0" left


def people_list(user: User, f: PeopleFilter, on: date | None = None) -> list[dict[str, Any]]:
    """People in scope, each with the post he holds on ``on`` (today)."""
    day = on or timezone.localdate()
    qs = org_people(user)
    if f.role:
        qs = qs.filter(role=f.role)
    if f.employment:
        qs = qs.filter(employment=f.employment)
    if f.active in ("0", "1"):
        qs = qs.filter(active=f.active == "1")
    current = Assignment.objects.filter(current_filter(day))
    if f.window:
        qs = qs.filter(id__in=current.filter(window__code=f.window).values("person_id"))
    if f.unit:
        qs = qs.filter(
            id__in=current.filter(Q(window__unit__code=f.unit) | Q(unit__code=f.unit)).values(
                "person_id"
            )
        )
    people = list(qs.order_by("code"))
    posts: dict[int, Assignment] = {}
    for a in (
        current.filter(person__in=[p.pk for p in people])
        .select_related("window", "unit", "substitutes_for")
        .order_by("start", "id")
    ):
        posts[a.person_id] = a
    return [{"person": p, "post": posts.get(p.pk)} for p in people]


def person_history(person: Person) -> QuerySet[Assignment]:
    return person.assignments.select_related("window", "unit", "substitutes_for").order_by(
        "-start", "-id"
    )


def current_assignment(person: Person, on: date | None = None) -> Assignment | None:
    day = on or timezone.localdate()
    return (
        person.assignments.filter(current_filter(day))
        .select_related("window", "unit")
        .order_by("-start", "-id")
        .first()
    )


# ---------------------------------------------------------------- policies


def policy_history(center: Center) -> QuerySet[CenterPolicy]:
    return (
        CenterPolicy.objects.filter(center=center)
        .select_related("created_by")
        .order_by("-effective_from", "-id")
    )


def policy_in_force(center: Center, on: date | None = None) -> tuple[CenterPolicy, Policy]:
    """The row and the parsed regulation in force on ``on`` (today); NoPolicyError if none."""
    day = on or timezone.localdate()
    return bridge.policy_row(center, day), bridge.policy_for(center, day)


def policy_text(row: CenterPolicy) -> str:
    """The YAML a center starts editing from: its own copy, or the bundled file."""
    if row.source == PolicySource.CUSTOM and row.yaml_text:
        return row.yaml_text
    path = resources.files("kaohe") / "policies" / f"{row.policy_id}.yaml"
    return path.read_text(encoding="utf-8")


def _num(value: Decimal | int | float | None) -> str | None:
    return None if value is None else str(value)


def item_row(item: Item) -> dict[str, Any]:
    """One catalog item in the shape of the item search response."""
    return {
        "code": item.code,
        "name": item.name,
        "dimension": item.dimension,
        "points": _num(item.points),
        "range": [_num(item.range[0]), _num(item.range[1])] if item.range else None,
        "free_entry": item.free_entry,
        "unit": item.unit,
        "major": item.major is not None,
        "exempt": item.exempt,
    }


def item_matches(policy: Policy, q: str, limit: int | None = None) -> list[Item]:
    """Items whose code starts with ``q`` first, then those whose name or code contains it.

    Plain text match (no pinyin): the hall searches by the words of the
    regulation or by the item code it has on paper.
    """
    needle = q.strip().lower()
    if not needle:
        found = list(policy.items)
    else:
        prefix = [i for i in policy.items if i.code.lower().startswith(needle)]
        seen = {i.code for i in prefix}
        rest = [
            i
            for i in policy.items
            if i.code not in seen and (needle in i.name.lower() or needle in i.code.lower())
        ]
        found = prefix + rest
    return found[:limit] if limit is not None else found


def dimension_rows(policy: Policy) -> list[dict[str, Any]]:
    """Dimensions across scorecards, once per code, with the scorecards that use them."""
    rows: dict[str, dict[str, Any]] = {}
    for sc in policy.scorecards:
        for d in sc.dimensions:
            row = rows.setdefault(
                d.code,
                {
                    "code": d.code,
                    "name": d.name,
                    "kind": d.kind,
                    "max": d.max,
                    "ref": d.ref,
                    "scorecards": [],
                },
            )
            row["scorecards"].append(sc.name)
    return list(rows.values())


CHARGE_LABELS = {
    "subject": "记录对象",
    "window": "所在窗口",
    "chief_rep": "首席代表",
    "staff": "窗口人员",
}


def catalog_rows(policy: Policy, q: str = "") -> list[dict[str, Any]]:
    """Catalog lines for the policy page: the search response plus charge and article."""
    names = {d["code"]: d["name"] for d in dimension_rows(policy)}
    out = []
    for item in item_matches(policy, q):
        row = item_row(item)
        row["dimension_name"] = names.get(item.dimension, item.dimension)
        row["charge"] = "、".join(
            CHARGE_LABELS.get(c.to, c.to) + ("" if c.share == 1 else f"×{c.share}")
            for c in item.charge
        )
        row["ref"] = item.ref
        out.append(row)
    return out
