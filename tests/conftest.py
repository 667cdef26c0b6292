import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client as HttpClient

from clients.roles import ACCOUNT_MANAGERS, ADMINS, FINANCE
from tests.factories import ClientFactory, UserFactory

# Every test runs on the same day, whatever the machine's calendar says: a Wednesday in the middle of a
# month, at ten in the morning in the installation's time zone. The clock ticks from there, so durations
# stay real. A test that must run elsewhere in time moves the clock (`clock.move_to(...)`, or the
# `chosen_day` fixture below); one that drives another process's clock (a real Celery worker) is marked
# `real_clock` and reads its dates from the data it makes.
PINNED_DAY = dt.date(2026, 11, 18)
# The days on which the date-sensitive rules (periods, ageing, the interaction edit window, the demo) are
# also tried: a month end, a leap day, the days after both daylight-saving changes, and the first of a year.
CHOSEN_DAYS = [
    pytest.param(dt.date(2027, 1, 31), id="month-end"),
    pytest.param(dt.date(2028, 2, 29), id="leap-day"),
    pytest.param(dt.date(2027, 3, 29), id="after-dst-start"),
    pytest.param(dt.date(2026, 10, 26), id="after-dst-end"),
    pytest.param(dt.date(2027, 1, 1), id="new-year"),
]


def morning_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=ZoneInfo(django_settings.TIME_ZONE))


# The test database is migrated a week before the pinned day, so the rows the migrations write (the cost
# settings and their first history entry) are older than anything a test does.
SETUP_DAY = PINNED_DAY - dt.timedelta(days=7)
_setup_clock = []


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """Runs just before the test database is created: the clock of the set-up (stopped by `clock`)."""
    traveller = time_machine.travel(morning_of(SETUP_DAY), tick=True)
    traveller.start()
    _setup_clock.append(traveller)


@pytest.fixture(autouse=True)
def clock(request):
    """The pinned clock (a time_machine traveller), or None for tests marked `real_clock`."""
    while _setup_clock:
        _setup_clock.pop().stop()
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(morning_of(PINNED_DAY), tick=True) as traveller:
        yield traveller


@pytest.fixture(params=CHOSEN_DAYS)
def chosen_day(request, clock):
    """Moves the pinned clock to each of the chosen days in turn; the test gets the day."""
    clock.move_to(morning_of(request.param))
    return request.param


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LANGUAGE_CODE = "en"
    # Cached charts and trends are keyed by run id, and ids are reused once a test's rows are gone.
    cache.clear()


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="Mona", role=ACCOUNT_MANAGERS)


@pytest.fixture
def other_manager(db):
    return UserFactory(username="other_manager", first_name="Otto", role=ACCOUNT_MANAGERS)


@pytest.fixture
def finance(db):
    return UserFactory(username="finance", first_name="Fiona", role=FINANCE, is_staff=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin_role", first_name="Adam", role=ADMINS, is_staff=True)


@pytest.fixture
def own_client(manager):
    return ClientFactory(account_manager=manager, name="Own Client")


@pytest.fixture
def foreign_client(other_manager):
    return ClientFactory(account_manager=other_manager, name="Foreign Client")


def _logged_in(user):
    http = HttpClient()
    http.force_login(user)
    return http


@pytest.fixture
def as_manager(manager):
    return _logged_in(manager)


@pytest.fixture
def as_finance(finance):
    return _logged_in(finance)


@pytest.fixture
def as_admin(admin_user):
    return _logged_in(admin_user)


@pytest.fixture
def logged_in():
    return _logged_in
