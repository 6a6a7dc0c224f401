from django.urls import path

from kaohe.web.workflow import views

app_name = "workflow"
urlpatterns = [
    path("", views.periods, name="periods"),
    path("period/<int:pk>/", views.period_detail, name="period"),
    path("period/<int:pk>/step/<str:step>/", views.period_step, name="step"),
    path("period/<int:pk>/adjust/", views.period_adjust, name="adjust"),
    path("period/<int:pk>/bulletin.<str:fmt>", views.bulletin_download, name="bulletin"),
    path("period/<int:pk>/bonus.xlsx", views.bonus_download, name="bonus"),
    path("appeal/new", views.appeal_new, name="appeal_new"),
    path("appeal/<int:pk>/", views.appeal_detail, name="appeal"),
    path(
        "appeal/<int:pk>/attachment/<int:attachment>/",
        views.appeal_attachment,
        name="appeal_attachment",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
urlpatterns += [
    path("period/<int:pk>/ballots/", views.ballots, name="ballots"),
    path(
        "period/<int:pk>/form/<str:kind>/<str:code>.<str:fmt>",
        views.annual_form,
        name="annual_form",
    ),
]
