from django.urls import path

from kaohe.web.org import views

app_name = "org"
urlpatterns = [
    path("windows/", views.window_list, name="windows"),
    path("windows/new", views.window_create, name="window_create"),
    path("windows/<str:code>/edit", views.window_edit, name="window_edit"),
    path("windows/<str:code>/active", views.window_active, name="window_active"),
    path("units/", views.unit_list, name="units"),
    path("units/new", views.unit_create, name="unit_create"),
    path("units/<str:code>/edit", views.unit_edit, name="unit_edit"),
    path("units/<str:code>/active", views.unit_active, name="unit_active"),
    path("halls/new", views.hall_create, name="hall_create"),
    path("halls/<int:pk>/edit", views.hall_edit, name="hall_edit"),
    path("halls/<int:pk>/active", views.hall_active, name="hall_active"),
    path("people/", views.people_list, name="people"),
    path("people/new", views.person_create, name="person_create"),
    path("people/<str:code>/", views.person_detail, name="person"),
    path("people/<str:code>/join", views.person_join, name="person_join"),
    path("people/<str:code>/transfer", views.person_transfer, name="person_transfer"),
    path("people/<str:code>/leave", views.person_leave, name="person_leave"),
    path("people/<str:code>/substitute", views.person_substitute, name="person_substitute"),
    path("policy/", views.policy_page, name="policy"),
    path("policy/choose", views.policy_choose, name="policy_choose"),
    path("policy/edit", views.policy_edit, name="policy_edit"),
    path("policy/items", views.item_search, name="item_search"),
]
