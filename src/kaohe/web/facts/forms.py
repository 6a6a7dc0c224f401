"""Forms of the facts pages: upload, rollback, 补卡, calendar entries."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from kaohe.engine import Period
from kaohe.web.facts.models import DayKind, ImportKind
from kaohe.web.widgets import DateInput

INGEST_KINDS = [(k.value, k.label) for k in ImportKind]
#: Longer 工号 are not employee numbers but something else pasted in.
MAX_PIN_WIDTH = 20


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="数据类型", choices=INGEST_KINDS)
    file = forms.FileField(label="文件")
    mapping = forms.ChoiceField(label="列映射（可选）", required=False)
    period = forms.CharField(
        label="考核期（测评票、外部评分必填；考勤汇总无月份列时填月份）",
        required=False,
        max_length=10,
        help_text="如 2024-05、2024-Q2、2024",
    )

    pin_width = forms.IntegerField(
        label="工号位数（可选）",
        required=False,
        min_value=1,
        max_value=MAX_PIN_WIDTH,
        help_text="Excel 丢了前导零时填写：如 4 位工号，12 补回为 0012",
    )

    def __init__(self, *args: Any, mappings: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mapping"].choices = [("", "（自动识别）")] + [(m, m) for m in mappings or []]

    def clean_period(self) -> str:
        value = str(self.cleaned_data.get("period") or "").strip()
        if value:
            try:
                value = str(Period.parse(value))
            except ValueError:
                raise ValidationError("考核期格式应为 2024-05、2024-Q2 或 2024") from None
        return value


class RollbackForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=500)


class CorrectionForm(forms.Form):
    person = forms.ChoiceField(label="人员")
    when = forms.DateTimeField(
        label="补卡时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(label="补卡原因", max_length=200)

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people


def parse_days(text: str) -> list[date]:
    """Dates one per line or comma: ``2027-01-01`` or a range ``2027-02-05~2027-02-11``."""
    out: list[date] = []
    for part in re.split(r"[\s,，;；、]+", text.strip()):
        if not part:
            continue
        ends = re.split(r"~|～|\.\.|至", part)
        try:
            first = date.fromisoformat(ends[0])
            last = date.fromisoformat(ends[-1]) if len(ends) > 1 else first
        except ValueError:
            raise ValidationError(
                f"不是日期：{part}（格式 2027-01-01 或 2027-02-05~2027-02-11）"
            ) from None
        if last < first or (last - first).days > 60:
            raise ValidationError(f"日期范围不对：{part}")
        while first <= last:
            out.append(first)
            first += timedelta(days=1)
    return out


class YearForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=2004, max_value=2099)
    days_off = forms.CharField(
        label="放假日期（节假日，含周末顺延）",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个日期或范围，如 2027-01-01~2027-01-03",
    )
    workdays = forms.CharField(
        label="调休上班日期（周末上班）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    note = forms.CharField(label="依据", max_length=200, help_text="如 国务院办公厅通知文号")

    def clean_days_off(self) -> list[date]:
        return parse_days(self.cleaned_data["days_off"])

    def clean_workdays(self) -> list[date]:
        return parse_days(self.cleaned_data.get("workdays") or "")


class DayForm(forms.Form):
    date = forms.DateField(label="日期", widget=DateInput())
    kind = forms.ChoiceField(label="类型", choices=DayKind.choices, initial=DayKind.HOLIDAY)
    note = forms.CharField(label="说明", max_length=200, help_text="如 台风停工")
