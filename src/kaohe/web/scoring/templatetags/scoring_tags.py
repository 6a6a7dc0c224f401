"""Small helpers for the score templates: cells, signs, and links that keep the query."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import HttpRequest

from kaohe.engine.policy.models import ACTION_NAMES
from kaohe.web.scoring import selectors as sel

register = template.Library()


@register.filter
def cell(row: dict[str, Any], column: sel.Column) -> Any:
    return sel.cell(row, column)


@register.filter
def action_name(code: str) -> str:
    """约谈, 停发绩效奖励 …: an engine action code as the hall calls it."""
    return ACTION_NAMES.get(code, code)


@register.filter
def lookup(mapping: dict[Any, Any] | None, key: Any) -> Any:
    return (mapping or {}).get(key)


@register.filter
def sign_class(value: object) -> str:
    """``neg`` for a deduction, ``pos`` for an addition (the stylesheet colours them)."""
    d = value if isinstance(value, Decimal) else sel.dec(value)
    if d is None or d == 0:
        return ""
    return "neg" if d < 0 else "pos"


@register.filter
def signed(value: object) -> str:
    """``+2`` / ``−1.5`` / ``0``; empty when there is no number."""
    d = value if isinstance(value, Decimal) else sel.dec(value)
    if d is None:
        return ""
    text = sel.fmt(abs(d))
    if d > 0:
        return f"+{text}"
    if d < 0:
        return f"−{text}"
    return text


@register.simple_tag
def query(request: HttpRequest, **changes: Any) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    params = request.GET.copy()
    params.pop("format", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def sort_query(request: HttpRequest, key: str, current: str) -> str:
    """Clicking a header sorts by it; clicking it again reverses."""
    return query(request, sort=f"-{key}" if current == key else key)


@register.filter
def num(value: object) -> str:
    """A decimal as the engine writes it (``1.50`` → ``1.5``); empty for none."""
    d = value if isinstance(value, Decimal) else sel.dec(value)
    return sel.fmt(d)
