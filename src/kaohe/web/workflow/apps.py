from django.apps import AppConfig


class Config(AppConfig):
    name = "kaohe.web.workflow"
    label = "workflow"
    default_auto_field = "django.db.models.BigAutoField"
