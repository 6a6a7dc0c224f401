from django.urls import path

from kaohe.web.facts import views

app_name = "facts"
urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/preview/<str:sha>/", views.preview, name="preview"),
    path("imports/<int:pk>/rollback/", views.rollback, name="rollback"),
    path("template/<str:kind>.xlsx", views.template, name="template"),
    path("attendance/", views.attendance, name="attendance"),
    path("calendar/", views.calendar, name="calendar"),
]
