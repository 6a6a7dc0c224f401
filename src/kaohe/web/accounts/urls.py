from django.urls import path

from kaohe.web.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/active/", views.user_active, name="user_active"),
    path("users/<int:pk>/person/", views.user_person, name="user_person"),
    path("security/", views.security, name="security"),
    path("security/<int:pk>/unlock/", views.security_unlock, name="security_unlock"),
    path("security/<int:pk>/reset/", views.security_reset, name="security_reset"),
    path("security/<int:pk>/role/", views.security_role, name="security_role"),
]
