"""Forms of the organisation and policy pages: parse and check input, nothing more.

Choices are limited to the user's center; the services check the rules
(overlaps, dates) and their errors are added back to the form.
"""

from __future__ import annotations

from typing import Any

from django import forms

from kaohe.engine import bundled_policy_ids
from kaohe.web.org.models import (
    Center,
    Employment,
    Hall,
    Person,
    PersonRole,
    Unit,
    Window,
    WindowKind,
)
from kaohe.web.widgets import DateInput

DATE = DateInput()


class HallForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)


class UnitForm(forms.Form):
    code = forms.CharField(label="代码", max_length=40)
    name = forms.CharField(label="名称", max_length=100)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "代码是考核引擎中的编号，创建后不可修改"


class WindowForm(forms.Form):
    code = forms.CharField(label="窗口编号", max_length=40)
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=WindowKind.choices)
    unit = forms.ModelChoiceField(label="进驻单位", queryset=Unit.objects.none(), required=False)
    hall = forms.ModelChoiceField(label="大厅", queryset=Hall.objects.none(), required=False)

    def __init__(self, *args: Any, center: Center, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(center=center, active=True)  # type: ignore[attr-defined]
        self.fields["hall"].queryset = Hall.objects.filter(center=center, active=True)  # type: ignore[attr-defined]
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "窗口编号是考核引擎中的编号，创建后不可修改"


class PersonForm(forms.Form):
    code = forms.CharField(label="工号", max_length=40)
    name = forms.CharField(label="姓名", max_length=60)
    role = forms.ChoiceField(label="岗位角色", choices=PersonRole.choices)
    employment = forms.ChoiceField(label="用工类型", choices=Employment.choices)
    pin = forms.CharField(label="考勤机编号", max_length=40, required=False)


def _windows(center: Center) -> Any:
    return Window.objects.filter(center=center, active=True).order_by("code")


class JoinForm(forms.Form):
    window = forms.ModelChoiceField(label="窗口", queryset=Window.objects.none(), required=False)
    unit = forms.ModelChoiceField(
        label="单位（首席代表）", queryset=Unit.objects.none(), required=False
    )
    start = forms.DateField(label="到岗日期", widget=DATE)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, center: Center, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = _windows(center)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = Unit.objects.filter(center=center, active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("window") and not data.get("unit"):
            raise forms.ValidationError("请选择窗口或单位")
        return data


class TransferForm(forms.Form):
    to_window = forms.ModelChoiceField(label="调入窗口", queryset=Window.objects.none())
    on = forms.DateField(label="调入日期（新岗位第一天）", widget=DATE)
    note = forms.CharField(label="备注（调动文件等）", max_length=200, required=False)

    def __init__(self, *args: Any, center: Center, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_window"].queryset = _windows(center)  # type: ignore[attr-defined]


class LeaveForm(forms.Form):
    on = forms.DateField(label="最后在岗日期", widget=DATE)
    reason = forms.CharField(label="离岗原因", max_length=150)


class SubstituteForm(forms.Form):
    """Filled on the page of the person replaced: who stands in, where, when."""

    substitute = forms.ModelChoiceField(label="顶岗人员", queryset=Person.objects.none())
    window = forms.ModelChoiceField(label="顶岗窗口", queryset=Window.objects.none())
    start = forms.DateField(label="起始日期", widget=DATE)
    end = forms.DateField(label="结束日期", widget=DATE)

    def __init__(self, *args: Any, center: Center, replaced: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = (  # type: ignore[attr-defined]
            Person.objects.filter(center=center).exclude(pk=replaced.pk).order_by("code")
        )
        self.fields["window"].queryset = _windows(center)  # type: ignore[attr-defined]


class ChoosePolicyForm(forms.Form):
    policy_id = forms.ChoiceField(label="内置办法", choices=())
    effective_from = forms.DateField(label="生效日期", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_id"].choices = [(p, p) for p in bundled_policy_ids()]  # type: ignore[attr-defined]


class PolicyTextForm(forms.Form):
    effective_from = forms.DateField(label="生效日期", widget=DATE)
    text = forms.CharField(
        label="办法文本（YAML）",
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 30,
                "spellcheck": "false",
                "style": "font-family:monospace;white-space:pre",
            }
        ),
    )
    periods = forms.MultipleChoiceField(
        label="试算月份",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="试算时，用所选月份的现有台账和数据，分别按现行办法和本文本计算并比较，不保存任何内容。",
    )

    def __init__(self, *args: Any, periods: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["periods"].choices = [(p, p) for p in periods or []]  # type: ignore[attr-defined]
