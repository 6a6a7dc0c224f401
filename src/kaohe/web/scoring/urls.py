from django.urls import path
from django.views.generic import RedirectView

from kaohe.web.scoring import views

app_name = "scoring"
urlpatterns = [
    # The ranking has its own path so the nav bar does not mark it active on every score page.
    path("", RedirectView.as_view(pattern_name="scoring:ranking", query_string=True)),
    path("ranking/", views.ranking, name="ranking"),
    path("mine/", views.my_card, name="my_card"),
    path("card/<str:code>/", views.card, name="card"),
    path("window/<str:code>/", views.window, name="window"),
    path("top-items/", views.top_items, name="top_items"),
]
