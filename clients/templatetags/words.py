"""Punctuation as the user's language writes it: ``{{ label|colon }}`` is "Step: " in English and
"Étape : " in French."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

register = template.Library()


@register.filter(needs_autoescape=True)
def colon(value, autoescape=True):
    """``value`` followed by the language's colon and its space."""
    text = conditional_escape(value) if autoescape else value
    separator = pgettext("between a label and its value", ": ")
    return mark_safe(f"{text}{conditional_escape(separator)}")  # noqa: S308
