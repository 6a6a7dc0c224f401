from django.urls import path, re_path

from kaohe.web.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    re_path(r"^export\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
]
