"""gunicorn's settings for `make serve` (Procfile: ``gunicorn -c config/gunicorn.py``).

Its own messages (start, workers booting and exiting, timeouts) go through the project's LOGGING,
so they are JSON lines on stdout like the rest. No access log: RequestIdMiddleware logs every
request with its id, route, user and duration.
"""

from config.settings import LOGGING

logconfig_dict = LOGGING
accesslog = None
