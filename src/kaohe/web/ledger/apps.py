from django.apps import AppConfig


class Config(AppConfig):
    name = "kaohe.web.ledger"
    label = "ledger"
    default_auto_field = "django.db.models.BigAutoField"
