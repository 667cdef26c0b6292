"""A person is named the same way everywhere: the full name, else the username (``display.person``),
in the lists and also in the selects and filters that choose one."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from clients import display
from clients.roles import ACCOUNT_MANAGERS
from tests.factories import ClientFactory, UserFactory


@pytest.fixture
def named(db):
    return UserFactory(username="mpeeters", first_name="Mona", last_name="Peeters", role=ACCOUNT_MANAGERS)


@pytest.fixture
def unnamed(db):
    return UserFactory(username="solo", first_name="", last_name="", role=ACCOUNT_MANAGERS)


def test_a_person_is_their_full_name_else_their_username(named, unnamed):
    assert display.person(named) == "Mona Peeters"
    assert display.person(unnamed) == "solo"
    assert display.person(None) == ""


def test_the_template_filter_names_alike_and_leaves_nobody_to_default(named):
    template = Template('{% load people %}{{ user|person }}/{{ nobody|person|default:"someone" }}')
    assert template.render(Context({"user": named, "nobody": None})) == "Mona Peeters/someone"


def options(html: str, name: str) -> list[str]:
    """The labels of the <select name=...>'s options."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))]


def test_the_client_list_filter_names_managers_as_the_table_does(as_finance, named, unnamed):
    ClientFactory(account_manager=named)
    html = as_finance.get(reverse("clients:list")).content.decode()
    labels = options(html, "account_manager")
    assert "Mona Peeters" in labels and "solo" in labels
    assert "mpeeters" not in labels
    assert "<td>Mona Peeters</td>" in html or ">Mona Peeters<" in html


def test_the_client_form_names_the_managers_it_offers(as_finance, named):
    labels = options(as_finance.get(reverse("clients:create")).content.decode(), "account_manager")
    assert "Mona Peeters" in labels
    assert "mpeeters" not in labels


def test_the_audit_pages_name_managers_and_owners(as_finance, finance, named):
    labels = options(as_finance.get(reverse("review:start")).content.decode(), "manager")
    assert "Mona Peeters" in labels and "mpeeters" not in labels
    owners = options(as_finance.get(reverse("review:list")).content.decode(), "owner")
    assert display.person(finance) in owners and "finance" not in owners
