from django.urls import path

from kaohe.web.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("new/", views.record_new, name="new"),
    path("patrol/", views.patrol, name="patrol"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/void/", views.record_void_view, name="void"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
]
