"""Forms only parse: the rules a record must meet live in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from kaohe.web.ledger.selectors import ItemChoice
from kaohe.web.org.models import Person, Window
from kaohe.web.widgets import DateInput

MONTH = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", "月份格式为 YYYY-MM。")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos under one name; each is checked by content in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class RecordFilterForm(forms.Form):
    month = forms.CharField(label="月份", required=False, validators=[MONTH])
    window = forms.ModelChoiceField(
        label="窗口", queryset=Window.objects.none(), required=False, empty_label="全部窗口"
    )
    person = forms.ModelChoiceField(
        label="人员", queryset=Person.objects.none(), required=False, empty_label="全部人员"
    )
    item = forms.CharField(label="考核项", required=False, max_length=60)
    voided = forms.BooleanField(label="含已作废", required=False)

    def __init__(self, *args: Any, windows: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = windows  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["month"].widget.attrs.update({"type": "month", "placeholder": "YYYY-MM"})
        self.fields["item"].widget.attrs.update({"placeholder": "代码或名称", "type": "search"})


class RecordForm(forms.Form):
    """The desktop form: any subject of the center, any item, any past date."""

    subject_kind = forms.ChoiceField(
        label="考核对象类型",
        choices=[("person", "人员"), ("window", "窗口")],
        initial="person",
        widget=forms.RadioSelect,
    )
    person = forms.ModelChoiceField(
        label="人员", queryset=Person.objects.none(), required=False, empty_label="— 选择人员 —"
    )
    window = forms.ModelChoiceField(
        label="窗口", queryset=Window.objects.none(), required=False, empty_label="— 选择窗口 —"
    )
    item_code = forms.ChoiceField(label="考核项")
    date = forms.DateField(label="日期", widget=DateInput())
    count = forms.IntegerField(label="次数", min_value=1, initial=1)
    points = forms.DecimalField(
        label="分值",
        required=False,
        max_digits=9,
        decimal_places=4,
        help_text="固定分值的考核项留空；区间或自由填写的考核项必填。",
    )
    major = forms.BooleanField(label="情节严重", required=False)
    exempt = forms.BooleanField(label="主动报告免责", required=False)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label="证据照片")

    def __init__(
        self,
        *args: Any,
        people: Any,
        windows: Any,
        items: list[ItemChoice],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["window"].queryset = windows  # type: ignore[attr-defined]
        self.fields["item_code"].choices = [("", "— 选择考核项 —")] + [  # type: ignore[attr-defined]
            (i.code, f"{i.code} {i.name}（{i.points_label}）") for i in items
        ]
        self.fields["date"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("subject_kind")
        if kind == "person" and not data.get("person"):
            self.add_error("person", "请选择人员。")
        if kind == "window" and not data.get("window"):
            self.add_error("window", "请选择窗口。")
        return data

    @property
    def subject(self) -> Person | Window:
        data = self.cleaned_data
        return data["person"] if data["subject_kind"] == "person" else data["window"]


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="作废原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class PatrolForm(forms.Form):
    """The patrol page's last step; subject and item come from the earlier taps."""

    window = forms.CharField(max_length=40)
    person = forms.CharField(max_length=40, required=False)
    item = forms.CharField(max_length=60)
    points = forms.DecimalField(
        label="分值", required=False, max_digits=9, decimal_places=4, min_value=0
    )
    major = forms.BooleanField(label="情节严重", required=False)
    exempt = forms.BooleanField(label="主动报告免责", required=False)
    note = forms.CharField(label="说明", required=False, max_length=1000)
    photos = MultipleFileField(label="拍照取证")
