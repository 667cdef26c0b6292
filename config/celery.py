"""The Celery application. Workers start with ``celery -A config worker``."""

import logging
import os

from celery import Celery, signals
from kombu.exceptions import OperationalError

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

logger = logging.getLogger(__name__)


class QueueUnavailable(Exception):
    """The broker could not be reached: the task was not sent."""


def send_on_commit(task_name: str, *args, on_unreachable):
    """Send the task named ``task_name`` with ``args`` once the current transaction commits (at once
    outside one). Services enqueue through this helper, by the task's pinned name, so that a service
    never imports the tasks module that imports it.

    When the broker cannot be reached (the settings keep that to a second or two), nothing waits
    for a worker: ``on_unreachable()`` records it on the row the task was for, then QueueUnavailable
    is raised from the commit, for the view to say so."""
    from django.db import transaction

    def send():
        if task_name not in app.tasks:
            app.loader.import_default_modules()  # the apps' tasks modules, found by autodiscovery
        task = app.tasks[task_name]
        try:
            task.delay(*args)
        except OperationalError as exc:
            logger.warning("Task %s not sent, the broker is unreachable: %s", task.name, exc)
            on_unreachable()
            raise QueueUnavailable(str(exc)) from exc
        except Exception:
            if not app.conf.task_always_eager:
                raise
            # Run in the request (the embedded first look): the task has recorded its failure on
            # its row (a failed run, a failed audit computation), which the page shows; the
            # request that sent it does not fail with it.
            logger.exception("Task %s failed", task.name)

    transaction.on_commit(send)
