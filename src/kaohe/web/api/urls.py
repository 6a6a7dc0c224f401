from django.urls import path

from kaohe.web.api import views

app_name = "tokens"

urlpatterns = [
    path("", views.tokens, name="list"),
    path("<int:pk>/revoke/", views.token_revoke_view, name="revoke"),
]
