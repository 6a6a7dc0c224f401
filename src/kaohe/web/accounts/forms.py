"""Forms parse and validate; the services in ``services.py`` make the change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.services import ORDINARY_ROLES, PERSON_ROLES
from kaohe.web.org.models import Person


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("账号"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean_old_password(self) -> str:
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError(_("当前密码不正确。"), code="password_incorrect")
        return old

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2:
            if new1 != new2:
                self.add_error("new_password2", _("两次输入的新密码不一致。"))
            elif data.get("old_password") and new1 == data["old_password"]:
                self.add_error("new_password1", _("新密码不能与当前密码相同。"))
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except forms.ValidationError as e:
                    self.add_error("new_password1", e)
        return data


def _people_without_account(center_id: int | None, keep: Person | None = None) -> QuerySet[Person]:
    qs = Person.objects.filter(center_id=center_id, active=True, user__isnull=True)
    if keep is not None:
        qs = Person.objects.filter(pk=keep.pk) | qs
    return qs.order_by("code")


class UserCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("账号"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("账号只能包含字母、数字和 @ . + - _。")},
    )
    full_name = forms.CharField(label=_("姓名"), max_length=150)
    role = forms.ChoiceField(label=_("角色"), choices=[(r.value, r.label) for r in ORDINARY_ROLES])
    person = forms.ModelChoiceField(
        label=_("对应人员"),
        queryset=Person.objects.none(),
        required=False,
        help_text=_("首席代表与窗口工作人员须对应名册中的一人"),
    )
    password1 = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("首次登录后须由本人修改"),
    )
    password2 = forms.CharField(
        label=_("再次输入初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, center_id: int | None, *args: Any, **kwargs: Any) -> None:
        self.center_id = center_id
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _people_without_account(center_id)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该账号已存在。"), code="duplicate")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, person = data.get("role"), data.get("person")
        if role in PERSON_ROLES and person is None:
            self.add_error("person", _("首席代表与窗口工作人员须选择对应人员。"))
        if role and role not in PERSON_ROLES and person is not None:
            self.add_error("person", _("只有首席代表和窗口工作人员的账号对应人员。"))
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2:
            if p1 != p2:
                self.add_error("password2", _("两次输入的密码不一致。"))
            else:
                probe = User(
                    username=data.get("username", ""), first_name=data.get("full_name", "")
                )
                try:
                    password_validation.validate_password(p1, probe)
                except forms.ValidationError as e:
                    self.add_error("password1", e)
        return data


class PersonLinkForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("对应人员"), queryset=Person.objects.none(), required=False
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _people_without_account(user.center_id, keep=user.person)
        field.initial = user.person_id


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
