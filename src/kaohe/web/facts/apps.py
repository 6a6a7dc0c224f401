from django.apps import AppConfig


class Config(AppConfig):
    name = "kaohe.web.facts"
    label = "facts"
    default_auto_field = "django.db.models.BigAutoField"
