"""gunicorn's settings for `make serve` (Procfile: ``gunicorn -c config/gunicorn.py``).

Its own messages (start, workers booting and exiting, timeouts) go through the project's LOGGING,
so they are JSON lines on stdout like the rest. No access log: RequestIdMiddleware logs every
request with its id, route, user and duration.
"""

import os

# The web workers keep their database connection between requests (checked before reuse): opening
# one costs 10 to 30 ms and a PostgreSQL backend process per request. A deployment's own
# CONN_MAX_AGE wins. Set before the settings are read: the workers are forked with them.
os.environ.setdefault("CONN_MAX_AGE", "60")

from config.settings import LOGGING  # noqa: E402

logconfig_dict = LOGGING
accesslog = None
