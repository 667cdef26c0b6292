import pytest
from django.test import Client as HttpClient

from clients.roles import ACCOUNT_MANAGERS, ADMINS, FINANCE
from tests.factories import ClientFactory, UserFactory


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LANGUAGE_CODE = "en"


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
