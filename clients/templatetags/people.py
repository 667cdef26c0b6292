"""How a person is named in templates: ``{{ user|person }}`` (``clients.display.person``)."""

from django import template

from clients import display

register = template.Library()


@register.filter
def person(user):
    """The full name, else the username; nobody is blank (so ``|default:`` still applies)."""
    return display.person(user)
