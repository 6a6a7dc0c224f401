"""``kaohe run``: migrate the configured database (no demo data) and serve it with waitress."""

from __future__ import annotations

import argparse
import os

WAITRESS_THREADS = 8


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    import django

    django.setup()


def serve(host: str, port: int) -> None:
    """Serve the app until interrupted; static files come through whitenoise (no collectstatic)."""
    from waitress import serve as waitress_serve

    from kaohe.web.wsgi import application

    print(f"kaohe 已启动：http://{host}:{port}/ （Ctrl+C 停止）", flush=True)
    waitress_serve(application, host=host, port=port, threads=WAITRESS_THREADS)


def main(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    serve(args.host, args.port)
    return 0
