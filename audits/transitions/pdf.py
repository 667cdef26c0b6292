"""A letter as an HTML document (the e-mail's HTML part) and as a PDF on the letterhead (WeasyPrint)."""

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify

from audits.transitions import placeholders, selectors


def letter_html(*, letter, letterhead, for_email=False) -> str:
    """The letter on the letterhead. Every text is escaped by the template; the body is the sanitised
    HTML of its Markdown."""
    postal = selectors.letter_recipient(transition=letter.transition)[1]
    with translation.override(letter.language):
        return render_to_string(
            "audits/transitions/letter_document.html",
            {
                "letter": letter,
                "letterhead": letterhead,
                "body": placeholders.body_html(letter.body),
                "day": selectors.letter_date(
                    timezone.localtime(letter.sent_at).date() if letter.sent_at else timezone.localdate(),
                    letter.language,
                ),
                "for_email": for_email,
                "postal": postal,
            },
        )


def letter_pdf(*, letter, letterhead) -> bytes:
    from weasyprint import HTML

    # No base URL: the document loads nothing (no image, style sheet or font from outside).
    return HTML(string=letter_html(letter=letter, letterhead=letterhead), url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"Letters load nothing from outside ({url}).")


def letter_filename(letter) -> str:
    name = slugify(letter.transition.client.name)[:40] or "client"
    return f"letter-{letter.kind}-{name}.pdf"
