"""`make serve`: the production stack on this machine, then honcho runs the Procfile.

Expects DATABASE_URL and REDIS_URL (PostgreSQL and Redis on loopback by default, see the Makefile).
Generates a secret key once into .env.serve (git-ignored), creates the database if it is missing,
migrates, compiles the translations, collects the static files, loads the demo portfolio when the
database holds no client, and hands over to honcho: gunicorn, one Celery worker and one beat.
"""

import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env.serve"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def secret_key_file(path=ENV_FILE):
    """The secret key of this machine's serve, generated on the first run and kept (mode 600)."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"SECRET_KEY={secrets.token_urlsafe(50)}\n")
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.strip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def database_create_if_missing(url):
    """CREATE DATABASE for the serve database when it does not exist yet (never drops anything)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return
    connect = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in connect.items() if v is not None}) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"Created the database {config['NAME']}.")


def main():
    import check_services

    if check_services.main():
        return 1
    for name, value in secret_key_file().items():
        os.environ.setdefault(name, value)
    database_create_if_missing(os.environ["DATABASE_URL"])

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    from clients.models import Client

    call_command("migrate", interactive=False, verbosity=1)
    call_command("compilemessages", ignore_patterns=[".venv", "staticfiles", "media"], verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Client.objects.exists():
        print("The database holds no client: loading the demo portfolio.")
        call_command("seed_demo")
        call_command("recompute")
        call_command("demo_users")
    connections.close_all()

    port = os.environ.get("PORT", "8000")
    honcho = Path(sys.executable).with_name("honcho")
    print(f"Serving on http://127.0.0.1:{port} (Ctrl-C stops the web server, the worker and beat).")
    os.chdir(ROOT)
    # The Procfile's commands (gunicorn, celery) come from this virtualenv.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    os.execv(honcho, [str(honcho), "--env", str(ENV_FILE), "start", "--port", port])


if __name__ == "__main__":
    sys.exit(main())
