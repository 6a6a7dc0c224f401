"""Widgets: a date picker that keeps its value under the Chinese locale."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from kaohe.web.org.forms import PolicyTextForm
from kaohe.web.widgets import DateInput


def test_a_date_renders_as_the_picker_reads_it() -> None:
    with translation.override("zh-hans"):
        html = DateInput().render("d", date(2024, 7, 1))
    assert 'type="date"' in html and 'value="2024-07-01"' in html


def test_a_form_opened_with_a_default_date_shows_it() -> None:
    with translation.override("zh-hans"):
        html = str(PolicyTextForm(initial={"effective_from": date(2024, 7, 1)})["effective_from"])
    assert 'value="2024-07-01"' in html
