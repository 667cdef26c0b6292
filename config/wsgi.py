import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Import the URLconf now, and with it every view and what the views import (matplotlib, the
# exports, the import resources): Django imports it on the first request otherwise, which then
# waited 1 to 3 s on each gunicorn worker after every start.
import_module(settings.ROOT_URLCONF)
