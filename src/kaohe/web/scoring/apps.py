from django.apps import AppConfig


class Config(AppConfig):
    name = "kaohe.web.scoring"
    label = "scoring"
    default_auto_field = "django.db.models.BigAutoField"
