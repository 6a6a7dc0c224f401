"""One settings module; everything that varies by deployment comes from the environment.

SQLite in ``KAOHE_DATA_DIR`` is the embedded default; ``DATABASE_URL`` switches to
PostgreSQL.  Security settings follow 等保2.0 level 3 for an application system:
lockout by account, idle session timeout, password complexity.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from kaohe.web.env import data_dir, env_bool, env_int, env_str

DATA_DIR = data_dir()
BASE_DIR = Path(__file__).resolve().parent


def _secret_key() -> str:
    """A per-installation key kept beside the database, unless the environment gives one."""
    given = env_str("KAOHE_SECRET_KEY", "")
    if given:
        return given
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("KAOHE_DEBUG", False)
ALLOWED_HOSTS = [
    h for h in env_str("KAOHE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("KAOHE_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves its Swagger UI from our static files, not a CDN
    "kaohe.web.accounts",
    "kaohe.web.audit",
    "kaohe.web.org",
    "kaohe.web.ledger",
    "kaohe.web.facts",
    "kaohe.web.scoring",
    "kaohe.web.workflow",
    "kaohe.web.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kaohe.web.accounts.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "kaohe.web.urls"
WSGI_APPLICATION = "kaohe.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kaohe.web.accounts.context.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kaohe.sqlite3'}"),
        conn_max_age=env_int("KAOHE_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Django's backend, flushing the punch table first (its references are triggers).
    DATABASES["default"]["ENGINE"] = "kaohe.web.sqlite3"
    # Tests in memory, as Django does for its own engine name (pytest-django's
    # xdist suffix looks for that name, and would make a file name of the path).
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "kaohe.web.accounts.validators.ComplexityValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout by account (not by IP): after N failures the account is locked for M minutes.
KAOHE_LOCKOUT_FAILURES = env_int("KAOHE_LOCKOUT_FAILURES", 5)
KAOHE_LOCKOUT_MINUTES = env_int("KAOHE_LOCKOUT_MINUTES", 30)
KAOHE_PASSWORD_MAX_AGE_DAYS = env_int("KAOHE_PASSWORD_MAX_AGE_DAYS", 90)
# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = env_int("KAOHE_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("KAOHE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Evidence photos: the size and types the ledger accepts.
KAOHE_PHOTO_MAX_BYTES = env_int("KAOHE_PHOTO_MAX_BYTES", 8 * 1024 * 1024)
#: The largest file the API takes in one import (a month of a big hall's clock is ~50 MB).
KAOHE_IMPORT_MAX_BYTES = env_int("KAOHE_IMPORT_MAX_BYTES", 200 * 1024 * 1024)
KAOHE_PHOTO_TYPES = ("JPEG", "PNG", "WEBP")
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Scoring runs synchronously below this many people; above it, as a background task.
KAOHE_SYNC_SCORING_MAX_PEOPLE = env_int("KAOHE_SYNC_SCORING_MAX_PEOPLE", 2000)

TASKS = {
    "default": {
        "BACKEND": env_str(
            "KAOHE_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("KAOHE_LOG_LEVEL", "WARNING")},
}
