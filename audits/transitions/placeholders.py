"""Letter texts: Markdown with placeholders from a declared list, as pretix's mail texts are.

A text is not a template language. ``problems`` refuses anything but a declared ``{name}``: unknown
names, attribute or index access (``{client.x}``, ``{0.__class__}``, ``{client_name[0]}``), format specs
and conversions (``{today:%Y}``, ``{client_name!r}``), positional fields (``{}``) and template-tag syntax
(``{% %}``, ``{{ }}``, ``{# #}``). ``render`` substitutes the values (escaped for Markdown and HTML in a
body), and ``body_html`` turns the Markdown into HTML sanitised by nh3, so no script, style or event
handler reaches a page, a PDF or an e-mail.
"""

from __future__ import annotations

import html
import re
import string
from html.parser import HTMLParser

import markdown
import nh3
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = {
    "client_name": _("the client's name"),
    "contact_name": _("the name of the client's primary contact"),
    "contact_salutation": _("the greeting, in the letter's language (“Dear Ana Pop,”)"),
    "account_manager_name": _("the account manager's name"),
    "account_manager_email": _("the account manager's e-mail address"),
    "end_date": _("the end date, written in the letter's language"),
    "alternatives": _("the proposed alternative providers, as a list"),
    "company_name": _("our company's name (from the letterhead)"),
    "today": _("today's date, written in the letter's language"),
}
TEMPLATE_SYNTAX = ("{%", "%}", "{{", "}}", "{#", "#}")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h1", "h2", "h3", "h4",
    "blockquote", "hr", "code", "pre",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Characters Markdown would read as formatting inside a line (a client named "*Acme*" stays as written),
# and what would start a heading, a list or a quote at the start of a value.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#+\-])")
_MARKDOWN_NUMBERED = re.compile(r"^(\s*\d+)\.")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def allowed_list() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


_SINGLE_BRACED = re.compile(r"(?<!\{)\{([^{}\s%]+)\}(?!\})")


def problems(text: str) -> list[str]:
    """What is wrong with a text, in words; empty when it may be saved."""
    found = []
    for token in TEMPLATE_SYNTAX:
        if token in text:
            found.append(_("“%(token)s” is template syntax, which letters do not use.") % {"token": token})
    try:
        fields = [] if found else list(string.Formatter().parse(text))
    except ValueError:
        found.append(str(_("A brace is not closed or not opened. Write placeholders as {client_name}.")))
    if found:
        # The text does not parse as placeholders: name the single-braced words that are none.
        fields = [("", name, "", None) for name in _SINGLE_BRACED.findall(text)]
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if name not in PLACEHOLDERS:
            found.append(_("%(field)s is not a placeholder letters know.") % {"field": shown})
        elif spec or conversion:
            found.append(_("%(field)s: placeholders take no format or conversion.") % {"field": shown})
    if found:
        found.append(_("Use only these placeholders: %(allowed)s.") % {"allowed": allowed_list()})
    return found


class _Kept(HTMLParser):
    """Reads the HTML a letter's Markdown makes, as the sanitiser will, and notes what it would
    drop: tags and attributes outside the allowed lists, links other than http, https and mailto
    (entities and spaces read as a browser reads them), comments (their text would vanish)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.found.append(_("“<%(tag)s>” is HTML that letters do not keep.") % {"tag": tag})
            return
        for attribute, value in attrs:
            if attribute not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.found.append(
                    _("“%(attribute)s” on “<%(tag)s>” is HTML that letters do not keep.")
                    % {"attribute": attribute, "tag": tag}
                )
            elif attribute == "href" and value:
                scheme = _SCHEME.match(_INVISIBLE.sub("", value))
                if scheme and scheme.group(1).lower() not in URL_SCHEMES:
                    self.found.append(
                        _("A link may only start with http:, https: or mailto:, not “%(scheme)s:”.")
                        % {"scheme": scheme.group(1)}
                    )

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.found.append(
            _("An HTML comment (<!-- … -->) does not show in a letter: write it as text, or leave it out.")
        )

    def unknown_decl(self, data):
        self.handle_comment(data)


# A link's scheme, once the spaces and control characters a browser ignores in it are removed.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def html_problems(body: str) -> list[str]:
    """The HTML in a body that the sanitiser would drop (``sanitise``), in words (``_Kept``), read
    from the HTML its Markdown makes, reference links and entities resolved. Checked when a template
    or a letter is saved, so that nothing written disappears unseen; empty when there is none."""
    reader = _Kept()
    reader.feed(_markdown_html(body))
    reader.close()
    found = list(dict.fromkeys(str(problem) for problem in reader.found))
    if found:
        found.append(str(_("Write the letter in Markdown: **bold**, *italics*, lists, [a link](https://…).")))
    return found


# What reads as a placeholder left in a letter's final text ({contact_nam}, {company_name}, an
# attribute or index {client.secret}, {contact[0]}) or as template syntax ({{ x }}, {% tag %}).
_UNFILLED = re.compile(r"\{[a-z][a-z0-9_]*(?:[.\[][^{}\s]*)?\}|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def unfilled(text: str) -> list[str]:
    """The placeholders a letter's final text still holds, which would be sent as they are: a letter
    is filled in from its template when it is drafted, so that its braces are plain text."""
    return list(dict.fromkeys(_UNFILLED.findall(text)))


def _markdown_escaped(value: str) -> str:
    """A value as literal text inside Markdown: its markup characters (< > and what reads as an
    entity) HTML-escaped, Markdown's formatting characters backslashed."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", value)
    text = _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    text = _MARKDOWN_NUMBERED.sub(lambda m: m.group(1) + "\\.", text)
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def render(text: str, values: dict[str, str], *, markdown_body: bool) -> str:
    """``text`` with each declared placeholder replaced by its value.

    In a body (``markdown_body``) the values are escaped for Markdown and HTML, except ``alternatives``,
    which is Markdown built from escaped values; in a subject (plain text), line breaks are removed.
    Anything that is not a declared placeholder raises ValueError (texts are checked at save)."""
    if problems(text):
        raise ValueError("The text has placeholders that are not allowed.")
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is None:
            continue
        value = str(values.get(name, ""))
        if markdown_body:
            out.append(value if name == "alternatives" else _markdown_escaped(value))
        else:
            out.append(" ".join(value.split()))
    return "".join(out)


def sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def _markdown_html(body: str) -> str:
    return markdown.markdown(body, extensions=["nl2br"], output_format="html")


def body_html(body: str) -> str:
    """A letter's Markdown body as sanitised HTML."""
    return sanitise(_markdown_html(body))


_BLOCK_END = re.compile(r"</(p|h[1-4]|ul|ol|blockquote|pre)>", re.IGNORECASE)


def body_text(body: str) -> str:
    """A letter's body as plain text (the e-mail's text part), from its sanitised HTML."""
    fragment = re.sub(r">\s+<", "><", body_html(body))
    fragment = re.sub(r"<li>", "- ", fragment, flags=re.IGNORECASE)
    fragment = re.sub(r"<br\s*/?>|</li>", "\n", fragment, flags=re.IGNORECASE)
    fragment = _BLOCK_END.sub("\n\n", fragment)
    text = html.unescape(nh3.clean(fragment, tags=set()))
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def alternatives_markdown(providers) -> str:
    """The proposed providers as a Markdown list, every text escaped."""
    lines = []
    for provider in providers:
        line = f"- **{_markdown_escaped(provider.name)}**"
        if provider.services:
            line += ": " + _markdown_escaped(" ".join(provider.services.split()))
        details = [text for text in (provider.contact, provider.website) if text]
        if details:
            line += " (" + ", ".join(_markdown_escaped(text) for text in details) + ")"
        lines.append(line)
    return "\n".join(lines)
