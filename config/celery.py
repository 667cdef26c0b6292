"""The Celery application. Workers start with ``celery -A config worker``."""

import os

from celery import Celery, signals

from config import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The worker and beat log through Django's LOGGING (stdout, JSON in production), and every task logs
# its start and its end with its duration (config/logs.py).
signals.setup_logging.connect(logs.logging_setup, weak=False)
signals.task_prerun.connect(logs.task_started, weak=False)
signals.task_failure.connect(logs.task_failed, weak=False)
signals.task_postrun.connect(logs.task_finished, weak=False)
