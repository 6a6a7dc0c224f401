"""接口令牌 pages for the 安全管理员: issue (the secret shown once), list, revoke with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kaohe.web.accounts.models import Role, User
from kaohe.web.accounts.scope import role_required
from kaohe.web.accounts.selectors import center_users
from kaohe.web.api.models import ApiToken, Scope
from kaohe.web.api.services import DEFAULT_DAYS, MAX_DAYS, SCOPE_ROLES, token_issue, token_revoke

HOLDER_ROLES = sorted({r for roles in SCOPE_ROLES.values() for r in roles})


class IssueForm(forms.Form):
    user = forms.ModelChoiceField(label="账号", queryset=User.objects.none())
    name = forms.CharField(label="用途", max_length=100)
    scopes = forms.MultipleChoiceField(
        label="权限范围", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    days = forms.IntegerField(
        label="有效天数", min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS
    )

    def __init__(self, *args: object, me: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].queryset = center_users(me).filter(  # type: ignore[attr-defined]
            role__in=HOLDER_ROLES, is_active=True
        )


def _me(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _tokens(me: User) -> object:
    return ApiToken.objects.filter(user__center_id=me.center_id).select_related(
        "user", "created_by"
    )


@role_required(Role.SECADMIN)
def tokens(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = IssueForm(request.POST or None, me=me)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = token_issue(
                user=form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
                by=me,
                request=request,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            response = render(request, "api/token_secret.html", {"token": token, "raw": raw})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "api/tokens.html", {"form": form, "tokens": _tokens(me)})


@role_required(Role.SECADMIN)
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    me = _me(request)
    token = get_object_or_404(_tokens(me), pk=pk)  # type: ignore[arg-type]
    try:
        token_revoke(token=token, reason=request.POST.get("reason", ""), by=me, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已吊销接口令牌 {token}。")
    return redirect("tokens:list")
