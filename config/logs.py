"""Logs: one JSON object a line (or plain text), with the request or task each record belongs to.

- ``RequestIdMiddleware`` gives every request an id (the caller's X-Request-ID when it is a plain
  token, else a new one), sends it back in the X-Request-ID header and logs one line per request:
  method, path, route name, status, user id and duration in milliseconds.
- The Celery signal handlers below log each task's start and end (name, id, state, duration); a task
  adds its own fields with ``context_bind`` (the recompute task binds its run id).
- ``ContextFilter`` copies the current request's or task's fields onto every record logged meanwhile,
  so a warning deep in a service carries the request id too.
- ``JsonFormatter`` and ``TextFormatter`` write the record; both drop or mask passwords, session and
  CSRF cookies, Authorization headers, the secret key and URL credentials (``scrub``).

Only the standard library here: gunicorn's master process and Celery load it before Django is set up.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid

REQUEST_LOGGER = logging.getLogger("clientprofit.request")
TASK_LOGGER = logging.getLogger("clientprofit.task")

_context = contextvars.ContextVar("log_context", default=None)


def context_bind(**fields):
    """Add fields to every record logged from here until the request or task ends; returns a token
    for ``context_reset``."""
    return _context.set({**(_context.get() or {}), **fields})


def context_reset(token):
    _context.set(None if token.old_value is token.MISSING else token.old_value)


def context_get():
    return dict(_context.get() or {})


# ---------------------------------------------------------------------------------------------
# What never reaches a log line.

FILTERED = "[filtered]"
# Keys (of an extra field, or of a dict inside one) whose value is dropped.
SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|pwd|secret|token|session|cookie|csrf|authori[sz]ation|api[-_]?key|signature|"
    r"credential",
    re.IGNORECASE,
)
# The same inside free text (a message, an exception): `password=...`, `"sessionid": "..."`,
# `Authorization: Bearer ...`, `Cookie: a=b; c=d`, and `scheme://user:password@host`.
_TEXT_PATTERNS = [
    (
        re.compile(
            r"""(?P<key>\b[\w-]*(?:pass(?:word|wd)?|pwd|secret|token|sessionid|session_key|csrftoken|"""
            r"""csrfmiddlewaretoken|api[-_]?key)[\w-]*)(?P<sep>["']?\s*[:=]\s*["']?)(?P<value>[^\s"'&,;)}\]]+)""",
            re.IGNORECASE,
        ),
        rf"\g<key>\g<sep>{FILTERED}",
    ),
    (
        re.compile(
            r"(?P<key>\b(?:authorization|cookie|set-cookie)\b)(?P<sep>[\"']?\s*[:=]\s*[\"']?)[^\n\"']+",
            re.IGNORECASE,
        ),
        rf"\g<key>\g<sep>{FILTERED}",
    ),
    (
        re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s/]+@", re.IGNORECASE),
        rf"\g<scheme>{FILTERED}@",
    ),
]


def _secret_values():
    """The values themselves that must never appear: the secret key (when Django is configured)."""
    try:
        from django.conf import settings

        if settings.configured:
            key = getattr(settings, "SECRET_KEY", "")
            return [key] if key and len(key) >= 8 else []
    except Exception:  # noqa: BLE001 - logging must never fail because settings cannot be read
        pass
    return []


def scrub(value, *, key=None):
    """The value with anything secret masked: by its key, then inside any text."""
    if key is not None and SENSITIVE_KEY.search(str(key)):
        return FILTERED
    if isinstance(value, dict):
        return {str(k): scrub(v, key=k) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in _secret_values():
        text = text.replace(secret, FILTERED)
    return text


# ---------------------------------------------------------------------------------------------
# Records.

# The attributes every LogRecord has; anything else on a record is an extra field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# Extras Django attaches that must not be written as they are: the request object (its headers and
# cookies) and the development server's socket.
_DROPPED = {"request", "server_time"}


class ContextFilter(logging.Filter):
    """Copies the current request's or task's fields onto the record (a field set on the record by
    the caller wins)."""

    def filter(self, record):
        for name, value in (_context.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


def record_fields(record):
    """The record's fields beyond time, level, logger and message, scrubbed."""
    fields = {}
    for name, value in vars(record).items():
        if name in _STANDARD or name in _DROPPED or name.startswith("_"):
            continue
        fields[name] = scrub(value, key=name)
    return fields


def _exception_text(record, formatter):
    parts = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return scrub("\n".join(parts)) if parts else None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request's or
    task's fields, any extra field, and ``traceback`` when an exception is logged."""

    def format(self, record):
        line = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "process": record.process,
        }
        for name, value in record_fields(record).items():
            line.setdefault(name, value)
        exception = _exception_text(record, self)
        if exception:
            line["traceback"] = exception
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain text for a developer's terminal: the usual line, then the fields as key=value."""

    def __init__(self, fmt="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt=None, style="%"):
        super().__init__(fmt, datefmt, style)

    def format(self, record):
        saved = record.msg, record.args, record.exc_info, record.exc_text, record.stack_info
        record.msg, record.args = scrub(record.getMessage()), ()
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            text = super().format(record)
        finally:
            record.msg, record.args, record.exc_info, record.exc_text, record.stack_info = saved
        fields = record_fields(record)
        if fields:
            text += " " + " ".join(f"{name}={value}" for name, value in fields.items())
        exception = _exception_text(record, self)
        return f"{text}\n{exception}" if exception else text


# ---------------------------------------------------------------------------------------------
# Requests.

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept only when it is a short plain token (no spaces, quotes or line breaks that
# could forge a log line or a header).
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def request_id_from(value):
    if value and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the middleware list: gives the request an id (``request.id``), binds it for every
    record logged while it runs, answers with it in X-Request-ID and logs the request's line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        began = time.perf_counter()
        request.id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = context_bind(request_id=request.id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.id
            self.log(request, response.status_code, began)
            return response
        finally:
            context_reset(token)

    @staticmethod
    def log(request, status, began):
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        fields = {
            "method": request.method,
            "path": request.path,
            "route": (match.view_name or match.route) if match else None,
            "status": status,
            "user_id": user.pk if user is not None and user.is_authenticated else None,
            "duration_ms": round((time.perf_counter() - began) * 1000, 1),
        }
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        REQUEST_LOGGER.log(level, "%s %s %s", request.method, request.path, status, extra=fields)


# ---------------------------------------------------------------------------------------------
# Celery tasks (connected in config/celery.py).

_running = {}


def task_started(sender=None, task_id=None, task=None, args=None, kwargs=None, **_extra):
    fields = {"task": task.name if task else str(sender), "task_id": task_id}
    if kwargs and kwargs.get("run_id") is not None:
        fields["run_id"] = kwargs["run_id"]
    token = context_bind(**fields)
    _running[task_id] = {"began": time.perf_counter(), "token": token, "exc_info": None}
    TASK_LOGGER.info("task %s started", fields["task"])


def task_failed(sender=None, task_id=None, einfo=None, **_extra):
    """Keeps the exception for the task's last line (task_postrun comes next)."""
    if task_id in _running and einfo is not None:
        _running[task_id]["exc_info"] = einfo.exc_info


def task_finished(sender=None, task_id=None, task=None, state=None, **_extra):
    """One line when the task ends: its state and duration; the traceback when it failed."""
    running = _running.pop(task_id, None) or {"began": None, "token": None, "exc_info": None}
    try:
        began = running["began"]
        failed = state == "FAILURE" or running["exc_info"] is not None
        TASK_LOGGER.log(
            logging.ERROR if failed else logging.INFO,
            "task %s finished: %s",
            task.name if task else sender,
            state,
            exc_info=running["exc_info"],
            extra={
                "state": state,
                "duration_ms": round((time.perf_counter() - began) * 1000, 1) if began else None,
            },
        )
    finally:
        if running["token"] is not None:
            context_reset(running["token"])


def logging_setup(**_kwargs):
    """Celery's ``setup_logging`` signal: the worker and beat keep Django's LOGGING (no handler of
    their own, no stdout redirection)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
