from django.apps import AppConfig


class Config(AppConfig):
    name = "kaohe.web.api"
    label = "api"
    verbose_name = "接口"
    default_auto_field = "django.db.models.BigAutoField"
