"""Letter templates: placeholders from the declared list only, escaped values, sanitised HTML."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape as html_escape

from audits.models import AlternativeProvider, LetterTemplate
from audits.transitions import placeholders, services
from tests.factories import ClientFactory, ContactFactory

REFUSED = [
    "Hello {client}",
    "Hello {client.__class__}",
    "Hello {0.__init__}",
    "{% load static %}Hello",
    "Key: {{ settings.SECRET_KEY }}",
    "First letter {client_name[0]}",
    "{client_name.upper}",
    "{today:%Y}",
    "{client_name!r}",
    "{}",
    "{client_name",
    "}",
    "{# a comment #}",
]


@pytest.fixture(autouse=True)
def _default_letters(db):
    """The default templates of the data migration (gone when a transactional test flushed the database)."""
    services.letter_templates_install_defaults()


@pytest.mark.parametrize("text", REFUSED)
def test_the_service_refuses_anything_but_declared_placeholders(admin_user, text):
    template = LetterTemplate.objects.get(kind="announcement", language="en")
    before = (template.subject, template.body)
    template.body = text
    with pytest.raises(ValidationError) as error:
        services.template_save(template=template, user=admin_user)
    assert "{client_name}, {contact_name}" in " ".join(error.value.messages)  # the allowed list is given
    template.refresh_from_db()
    assert (template.subject, template.body) == before


@pytest.mark.parametrize(
    "text", ["{client.__class__}", "{0.__init__}", "{% load %}", "{{ settings.SECRET_KEY }}"]
)
def test_the_editor_refuses_them_with_the_list_of_what_is_allowed(as_admin, text):
    template = LetterTemplate.objects.get(kind="thank_you", language="fr")
    response = as_admin.post(
        f"/letters/templates/{template.pk}/", {"subject": "Merci", "body": f"Bonjour {text}"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Use only these placeholders" in page and "{account_manager_email}" in page
    template.refresh_from_db()
    assert text not in template.body and template.subject != "Merci"


@pytest.mark.parametrize(
    "html, said",
    [
        ("<script>alert(1)</script>", "“<script>” is HTML that letters do not keep."),
        ('<img src=x onerror="alert(2)">', "“<img>” is HTML that letters do not keep."),
        ('<p onclick="x()">Hi</p>', "“onclick” on “<p>” is HTML that letters do not keep."),
        ("[our terms](javascript:alert(1))", "not “javascript:”"),
        # What the HTML the Markdown makes holds, not what the text looks like.
        ("[our site][1]\n\n[1]: javascript:alert(1)", "not “javascript:”"),
        ("[x](&#106;avascript:alert(1))", "not “javascript:”"),
        ("<javascript:alert(1)>", "“<javascript:alert(1)>” is HTML that letters do not keep."),
        ("Hello <!-- our margin is 40 % --> there", "An HTML comment (<!-- … -->) does not show in a letter"),
    ],
)
def test_html_the_letters_would_drop_is_refused_at_save_not_dropped_unseen(as_admin, admin_user, html, said):
    template = LetterTemplate.objects.get(kind="thank_you", language="en")
    before = template.body
    response = as_admin.post(
        f"/letters/templates/{template.pk}/", {"subject": "Thanks", "body": f"Dear {{contact_name}}, {html}"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert html_escape(said) in page
    assert "Write the letter in Markdown" in page
    template.body = f"Dear {{contact_name}}, {html}"
    with pytest.raises(ValidationError):
        services.template_save(template=template, user=admin_user)
    template.refresh_from_db()
    assert template.body == before


def test_markdown_autolinks_and_the_allowed_html_are_kept(admin_user):
    template = LetterTemplate.objects.get(kind="thank_you", language="en")
    template.body = (
        "Write to <ana@example.com> or see <https://example.com>; 2 < 3.<br>**Thanks** [us](mailto:a@b.c)"
        " `<script>` as code, [a page][p]\n\n[p]: https://example.com/terms"
    )
    services.template_save(template=template, user=admin_user)
    assert placeholders.html_problems(template.body) == []


def test_a_subject_is_checked_too(as_admin):
    template = LetterTemplate.objects.get(kind="thank_you", language="en")
    response = as_admin.post(
        f"/letters/templates/{template.pk}/", {"subject": "{client.pk}", "body": "Thanks"}
    )
    assert response.status_code == 400
    template.refresh_from_db()
    assert template.body != "Thanks"


def test_every_declared_placeholder_is_accepted_and_saved(as_admin):
    template = LetterTemplate.objects.get(kind="alternatives", language="nl")
    body = " ".join(f"{{{name}}}" for name in placeholders.PLACEHOLDERS)
    response = as_admin.post(
        f"/letters/templates/{template.pk}/", {"subject": "Over {client_name}", "body": body}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == body


def test_the_editor_shows_the_declared_list(as_admin):
    template = LetterTemplate.objects.get(kind="announcement", language="ro")
    page = as_admin.get(f"/letters/templates/{template.pk}/").content.decode()
    for name in placeholders.PLACEHOLDERS:
        assert f"<code>{{{name}}}</code>" in page


def test_the_default_set_covers_every_kind_and_language_and_is_valid(db):
    rows = LetterTemplate.objects.all()
    assert {(t.kind, t.language) for t in rows} == {
        (kind, language) for kind in LetterTemplate.Kind.values for language in ("en", "fr", "nl", "ro")
    }
    for template in rows:
        assert placeholders.problems(template.subject) == [] and placeholders.problems(template.body) == []
        assert "{end_date}" in template.body
    for template in rows.filter(kind="alternatives"):
        assert "{alternatives}" in template.body


def test_values_are_escaped_and_the_html_sanitised():
    values = dict.fromkeys(placeholders.PLACEHOLDERS, "")
    values["client_name"] = '<script>alert(1)</script> <img src=x onerror="alert(2)"> *bold*'
    body = placeholders.render("Dear **{client_name}**", values, markdown_body=True)
    html = placeholders.body_html(body)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "*bold*" in html  # a value is never read as Markdown
    # Raw HTML written in a letter's own Markdown is sanitised as well.
    html = placeholders.body_html(
        '<script>alert(1)</script><style>p{}</style><p onclick="x()">Hi</p><a href="javascript:x()">l</a>'
    )
    assert "script" not in html and "style" not in html and "onclick" not in html and "javascript" not in html


def test_the_preview_renders_the_template_for_a_real_client(as_admin):
    client = ClientFactory(name="Brasserie <b>Nord</b>", external_ref="BN-1")
    ContactFactory(client=client, name="Ana Pop", is_primary=True)
    AlternativeProvider.objects.create(name="Good Books & Co", services="Bookkeeping")
    template = LetterTemplate.objects.get(kind="alternatives", language="en")
    page = as_admin.get(f"/letters/templates/{template.pk}/?client=bn-1").content.decode()
    assert "Preview for Brasserie &lt;b&gt;Nord&lt;/b&gt;" in page
    assert "Dear Ana Pop," in page and "Good Books &amp; Co" in page
    assert "<b>Nord</b>" not in page
    # An unsaved text can be previewed; nothing is saved.
    response = as_admin.post(
        f"/letters/templates/{template.pk}/",
        {"subject": "Hi {client_name}", "body": "Ends {end_date}", "client": "BN-1", "preview": "1"},
    )
    assert "Hi Brasserie &lt;b&gt;Nord&lt;/b&gt;" in response.content.decode()
    template.refresh_from_db()
    assert template.subject != "Hi {client_name}"


def test_dates_are_written_in_the_letter_language(own_client, finance):
    ContactFactory(client=own_client, name="Jean Dupont", is_primary=True)
    transition = services.transition_create(
        client=own_client, user=finance, reason="x", end_date=dt.date(2027, 3, 31), language="fr"
    )
    letter = services.letter_draft(transition=transition, kind="announcement", user=finance)
    assert letter.language == "fr"
    assert "31 mars 2027" in letter.body and "Bonjour Jean Dupont," in letter.body


def test_the_template_grid_names_its_languages(as_admin):
    page = as_admin.get("/letters/templates/").content.decode()
    header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
    assert [name for name in ("English", "French", "Dutch", "Romanian") if name in header] == [
        "English",
        "French",
        "Dutch",
        "Romanian",
    ]


def test_a_refusal_names_every_placeholder_that_is_none_even_beside_template_syntax():
    found = placeholders.problems("Merci {client}, {Client_Name} {{oops")
    assert "“{{” is template syntax, which letters do not use." in found
    assert "{client} is not a placeholder letters know." in found
    assert "{Client_Name} is not a placeholder letters know." in found
    assert placeholders.problems("{client_name} and {today}") == []
