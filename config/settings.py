"""One settings module, driven by environment variables.

Defaults give the embedded first look (SQLite, Celery eager). Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false (README, "Deployment").
A bad value raises ImproperlyConfigured at start-up.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "import_export",
    "simple_history",
    "django_celery_beat",
    "axes",
    "csp",
    "clients",
    "audits",
]

MIDDLEWARE = [
    # First: every request, static files and redirects too, gets an id and one log line.
    "config.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a lock-out into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "django.template.context_processors.i18n",
                "config.navigation.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A kept connection (CONN_MAX_AGE > 0) is checked before a request reuses it: one killed meanwhile
# (a database restart) is opened again instead of failing the request.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite, the embedded default, ignores their extra columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


def _positive_int(name, default):
    value = env.int(name, default=default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive whole number, not {value}.")
    return value


# Sessions end after a working day without a request (each request starts the count again).
SESSION_COOKIE_AGE = _positive_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True

# Log-in throttling (django-axes): after AXES_FAILURE_LIMIT failed log-ins for one user name from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; a success resets the count. The addresses
# are REMOTE_ADDR: behind a reverse proxy that is the proxy's, so the lock holds per user name.
# Every failure and lock-out is logged (logger "axes") and kept in the admin's access attempts.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _positive_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=_positive_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Trying again while locked out does not push the end of the lock-out further.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): scripts and styles come from our own static files only, no
# inline <script>, on*= handler or style attribute (charts are inlined SVG with presentation
# attributes, see audits/reports/charts.py). The favicon is a data: URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("ro", _("Romanian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style per locale: config/formats/<language>/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Brussels")
USE_I18N = True
USE_TZ = True

# One currency per installation (ISO 4217 code).
CURRENCY = env.str("CURRENCY", default="EUR")
if len(CURRENCY) != 3 or not CURRENCY.isalpha():
    raise ImproperlyConfigured(f"CURRENCY must be a three-letter ISO code, not {CURRENCY!r}.")

# From this many clients, the nightly recompute on PostgreSQL shares its ledger pass between two
# database connections (two cores); below it, one connection is quicker.
PROFITABILITY_SPLIT_MIN_CLIENTS = env.int("PROFITABILITY_SPLIT_MIN_CLIENTS", default=5000)

# Daily snapshots (client and portfolio) are kept this many days back from the latest one, then only
# each month's last day, each portfolio snapshot with its month totals (audits.profitability.retention.snapshots_prune).
SNAPSHOT_DAILY_DAYS = env.int("SNAPSHOT_DAILY_DAYS", default=35)
if SNAPSHOT_DAILY_DAYS < 1:
    raise ImproperlyConfigured(f"SNAPSHOT_DAILY_DAYS must be at least 1, not {SNAPSHOT_DAILY_DAYS}.")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# Celery: eager by default (embedded first look); production and tests set a broker.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env.str("CELERY_BROKER_URL", default=""))
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False
# Nothing reads a task's result: sending a task then needs the broker alone.
CELERY_TASK_IGNORE_RESULT = True
# Above the longest nightly run, so a long task is never delivered twice; a task whose worker died
# (acks_late) is delivered again after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600, "socket_connect_timeout": 2}
# With the broker down, sending a task fails within a second or two instead of the page hanging.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# Files with more rows than this are imported by a Celery task with progress.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=2000)
# A running import writes a heartbeat this often; one whose heartbeat is older than
# IMPORT_STALE_SECONDS has lost its worker and is shown failed (clients/imports/heartbeat.py).
IMPORT_HEARTBEAT_SECONDS = env.float("IMPORT_HEARTBEAT_SECONDS", default=5.0)
IMPORT_STALE_SECONDS = env.float("IMPORT_STALE_SECONDS", default=60.0)
if not 0 < IMPORT_HEARTBEAT_SECONDS * 3 <= IMPORT_STALE_SECONDS:
    raise ImproperlyConfigured("IMPORT_STALE_SECONDS must be at least three IMPORT_HEARTBEAT_SECONDS.")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# SMTP in a deployment, one variable: EMAIL_URL=smtp+tls://user:password@smtp.example.com:587
# (also smtp:// and smtp+ssl://); it sets the backend, host, port, credentials and TLS.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="back-office@localhost")
# The letterhead of the letters to clients, until an admin edits it (Letters > Letterhead).
# The company name letters carry until the letterhead is filled in (COMPANY_NAME, or an admin's edit):
# a letter's page warns while it still reads so.
LETTERHEAD_UNSET_NAME = "Our company"
LETTERHEAD = {
    "name": env.str("COMPANY_NAME", default=LETTERHEAD_UNSET_NAME),
    "address": env.str("COMPANY_ADDRESS", default=""),
    "email": env.str("COMPANY_EMAIL", default=""),
    "phone": env.str("COMPANY_PHONE", default=""),
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
# Every table is a .table; a table that says more names its own classes (Meta.attrs).
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table"}

# Plain HTTP on this machine only (`make serve`): no redirect to HTTPS, no HTTPS-only cookies, no HSTS.
# A real deployment leaves it off and serves behind TLS.
LOCAL_HTTP = env.bool("LOCAL_HTTP", default=False)
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
if LOCAL_HTTP and not set(ALLOWED_HOSTS) <= _LOOPBACK_HOSTS:
    raise ImproperlyConfigured(
        "LOCAL_HTTP serves plain HTTP on this machine only: ALLOWED_HOSTS must name only "
        f"{', '.join(sorted(_LOOPBACK_HOSTS))}, not {', '.join(ALLOWED_HOSTS)}."
    )

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LOCAL_HTTP)
    # A load balancer checks the health of each instance over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = not LOCAL_HTTP
    CSRF_COOKIE_SECURE = not LOCAL_HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if LOCAL_HTTP else 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Logs go to stdout, for the web server, the worker and beat alike (config/logs.py): one JSON object a
# line with LOG_FORMAT=json (the default when DEBUG is false), plain text with LOG_FORMAT=text. Every
# request logs one line at INFO (id, route, user, status, duration), every Celery task two.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json").lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"()": "config.logs.TextFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (console in DEBUG, mail_admins) give way to the one above.
        "django": {"handlers": [], "level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL, "propagate": True},
        # gunicorn's master and workers write through the same handler (config/gunicorn.py); no access
        # log, RequestIdMiddleware logs each request.
        "gunicorn.error": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        # Failed log-ins and lock-outs are warnings: they are logged whatever LOG_LEVEL says.
        "axes": {"level": "WARNING"},
        # WeasyPrint and its font tools narrate every page of a PDF at INFO: only their warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
