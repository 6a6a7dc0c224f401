"""The audit log's filters: one form for the page and the exports, so they always agree."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.web.widgets import DateInput


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人账号"), max_length=150, required=False)
    action = forms.ChoiceField(label=_("操作"), required=False)
    since = forms.DateField(
        label=_("起始日期"), required=False, widget=DateInput()
    )
    until = forms.DateField(
        label=_("截止日期"), required=False, widget=DateInput()
    )
    obj = forms.CharField(
        label=_("对象"),
        max_length=120,
        required=False,
        help_text=_("对象类型或“类型:编号”，如 ledger.record:12"),
    )

    def __init__(self, actions: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("全部"))] + [(a, a) for a in actions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data
