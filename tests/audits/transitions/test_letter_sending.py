"""Letters: written from the template, sent once by e-mail or recorded as posted, inert whatever the
client is called, visible only to who may see the client."""

import datetime as dt
import subprocess
import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from audits.models import Letter, Transition
from audits.transitions import services
from tests.exports import xlsx_rows
from tests.factories import ClientFactory, ContactFactory

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _default_letters(db):
    """The default templates of the data migration (gone when a transactional test flushed the database)."""
    services.letter_templates_install_defaults()


@pytest.fixture
def transition(own_client, finance):
    ContactFactory(client=own_client, name="Ana Pop", email="ana@client.example", is_primary=True)
    return services.transition_create(
        client=own_client, user=finance, reason="Loss maker", end_date=dt.date(2027, 3, 31)
    )


@pytest.fixture
def letter(transition, finance):
    return services.letter_draft(transition=transition, kind="announcement", user=finance)


def _send(http, letter, key, channel="email"):
    return http.post(f"/letters/{letter.pk}/send/", {"key": str(key), "channel": channel})


def test_a_letter_is_written_from_the_template_in_the_transition_language(letter, own_client):
    assert letter.state == Letter.State.DRAFT and letter.language == "en"
    assert letter.subject == "A change in how we work together"
    assert "Dear Ana Pop," in letter.body and "31 March 2027" in letter.body and "Own Client" in letter.body


def test_a_double_submit_sends_one_email(as_finance, letter, django_capture_on_commit_callbacks):
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(as_finance, letter, key)
    with django_capture_on_commit_callbacks(execute=True):
        second = _send(as_finance, letter, key)  # the same form posted again
    with django_capture_on_commit_callbacks(execute=True):
        third = _send(as_finance, letter, uuid.uuid4())  # another tab, a fresh form
    assert first.status_code == second.status_code == third.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@client.example"] and message.subject == letter.subject
    assert message.attachments[0][0].endswith(".pdf") and message.attachments[0][1][:5] == b"%PDF-"
    letter.refresh_from_db()
    assert letter.state == Letter.State.SENT and letter.channel == "email" and letter.sent_at
    assert letter.recipient == "ana@client.example" and letter.sender.username == "finance"
    assert "cannot be sent again" in as_finance.get(f"/letters/{letter.pk}/").content.decode()
    again = as_finance.post(f"/letters/{letter.pk}/send/", {"key": str(key), "channel": "email"}, follow=True)
    assert "already sent or is on its way" in again.content.decode()
    assert len(mail.outbox) == 1


def test_a_task_delivered_twice_sends_one_email(letter, finance, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        assert services.letter_send_request(letter=letter, user=finance, key=uuid.uuid4(), channel="email")
    assert services.letter_deliver(letter_id=letter.pk) is True
    assert services.letter_deliver(letter_id=letter.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_shows_why_and_is_retried_by_hand_once(
    as_finance, letter, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.audits.transitions.test_letter_sending.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _send(as_finance, letter, uuid.uuid4())
    letter.refresh_from_db()
    assert letter.state == Letter.State.FAILED and "mail server refused" in letter.failure_reason
    page = as_finance.get(f"/letters/{letter.pk}/").content.decode()
    assert "mail server refused" in page and "Try sending again" in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        _send(as_finance, letter, key)
        _send(as_finance, letter, key)
    letter.refresh_from_db()
    assert letter.state == Letter.State.SENT and letter.failure_reason == ""
    assert len(mail.outbox) == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server refused the connection")


def test_a_letter_recorded_as_posted_is_not_emailed_afterwards(
    as_finance, letter, django_capture_on_commit_callbacks
):
    _send(as_finance, letter, uuid.uuid4(), channel="pdf")
    letter.refresh_from_db()
    assert letter.state == Letter.State.SENT and letter.channel == "pdf" and "Ana Pop" in letter.recipient
    with django_capture_on_commit_callbacks(execute=True):
        _send(as_finance, letter, uuid.uuid4())
    assert mail.outbox == []


def test_a_sent_letter_cannot_be_edited(as_finance, letter, finance):
    services.letter_send_request(letter=letter, user=finance, key=uuid.uuid4(), channel="pdf")
    response = as_finance.post(f"/letters/{letter.pk}/", {"subject": "Changed", "body": "Changed"})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.subject != "Changed"


def test_a_draft_is_edited_before_sending(as_finance, letter):
    response = as_finance.post(f"/letters/{letter.pk}/", {"subject": "New subject", "body": "New **body**"})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == ("New subject", "New **body**")
    assert "<strong>body</strong>" in as_finance.get(f"/letters/{letter.pk}/").content.decode()


def test_a_refused_edit_shows_the_letter_as_it_is_saved_beside_the_form(as_finance, letter):
    saved = letter.body
    response = as_finance.post(f"/letters/{letter.pk}/", {"subject": "", "body": "Unsaved **words**"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unsaved **words**" in body  # kept in the form, to correct it
    assert "<strong>words</strong>" not in body  # but "how it reads" is the text that would be sent
    letter.refresh_from_db()
    assert letter.body == saved


def test_html_a_letter_would_drop_is_refused_with_a_clear_message(as_finance, finance, letter):
    before = (letter.subject, letter.body)
    response = as_finance.post(
        f"/letters/{letter.pk}/", {"subject": "New", "body": "Hi <iframe src=x></iframe>"}
    )
    assert response.status_code == 400
    assert "is HTML that letters do not keep" in response.content.decode()
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == before
    with pytest.raises(ValidationError):  # whatever form sent it
        services.letter_update(letter=letter, user=finance, subject="New", body="<script>x</script>")
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == before


def test_a_placeholder_left_in_a_letter_is_refused_with_a_clear_message(as_finance, letter):
    """A letter's text is final (its placeholders were filled in when it was drafted): a
    {placeholder} written into it would be sent as it is, so the edit is refused and nothing changes."""
    before = (letter.subject, letter.body)
    response = as_finance.post(
        f"/letters/{letter.pk}/", {"subject": "Hello {company_name}", "body": "Dear {contact_nam}, thanks."}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert (
        "{company_name} would be sent as written" in body and "{contact_nam} would be sent as written" in body
    )
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == before
    # Nor an attribute or index of one, nor what reads as template syntax.
    response = as_finance.post(
        f"/letters/{letter.pk}/",
        {"subject": "{client.secret}", "body": "{% debug %} {{ request }} {contact[0]}"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved: please correct the fields marked below." in body  # at the top
    for left in ("{client.secret}", "{% debug %}", "{{ request }}", "{contact[0]}"):
        assert f"{left} would be sent as written" in body or f"{left}, " in body, left
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == before
    # Braces that are no placeholder stay plain text.
    as_finance.post(f"/letters/{letter.pk}/", {"subject": "Offer {A}", "body": "See {2027} and {Acme Ltd}."})
    letter.refresh_from_db()
    assert (letter.subject, letter.body) == ("Offer {A}", "See {2027} and {Acme Ltd}.")


def test_a_draft_warns_while_the_letterhead_is_not_filled_in(as_finance, letter):
    from audits.models import Letterhead

    warning = "The letterhead still reads “Our company”"
    assert warning in as_finance.get(f"/letters/{letter.pk}/").content.decode()
    Letterhead.objects.filter(pk=Letterhead.load().pk).update(name="Nordlicht Consulting GmbH")
    page = as_finance.get(f"/letters/{letter.pk}/").content.decode()
    assert "The letterhead still reads" not in page
    # Written while the letterhead read "Our company", the letter still says so: it is not sent so.
    assert "Our company" in letter.body
    assert "replace it with “Nordlicht Consulting GmbH” before sending it" in page
    assert "Send by e-mail" not in page
    response = _send(as_finance, letter, uuid.uuid4())
    assert "its text still says so" in as_finance.get(response.url).content.decode()
    letter.refresh_from_db()
    assert letter.state == Letter.State.DRAFT
    as_finance.post(
        f"/letters/{letter.pk}/",
        {"subject": letter.subject, "body": letter.body.replace("Our company", "Nordlicht Consulting GmbH")},
    )
    page = as_finance.get(f"/letters/{letter.pk}/").content.decode()
    assert "its text still says so" not in page and "Send by e-mail" in page


def test_without_an_email_address_nothing_is_queued(as_finance, own_client, finance):
    client = ClientFactory(account_manager=own_client.account_manager)
    transition = services.transition_create(
        client=client, user=finance, reason="x", end_date=dt.date(2027, 1, 31)
    )
    letter = services.letter_draft(transition=transition, kind="announcement", user=finance)
    response = _send(as_finance, letter, uuid.uuid4())
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.state == Letter.State.DRAFT


def test_a_client_named_script_is_inert_in_the_page_the_pdf_and_the_email(
    as_finance, manager, finance, django_capture_on_commit_callbacks, tmp_path
):
    client = ClientFactory(name=SCRIPT, account_manager=manager)
    ContactFactory(client=client, name=f"{SCRIPT} Pop", email="x@client.example", is_primary=True)
    transition = services.transition_create(
        client=client, user=finance, reason=SCRIPT, end_date=dt.date(2027, 2, 28)
    )
    letter = services.letter_draft(transition=transition, kind="announcement", user=finance)
    for url in (
        f"/transitions/{transition.pk}/",
        f"/letters/{letter.pk}/",
        "/transitions/",
        f"/clients/{client.pk}/transitions/",
        "/transitions/cash-flow/",
    ):
        page = as_finance.get(url).content.decode()
        assert SCRIPT not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    pdf = as_finance.get(f"/letters/{letter.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    (tmp_path / "letter.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "letter.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert SCRIPT in text  # shown as the text it is, not read as markup
    with django_capture_on_commit_callbacks(execute=True):
        _send(as_finance, letter, uuid.uuid4())
    message = mail.outbox[0]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in message.subject or message.subject == letter.subject  # a plain-text header


def test_other_managers_see_nothing_of_the_transition(logged_in, other_manager, transition, letter):
    http = logged_in(other_manager)
    for url in (
        f"/transitions/{transition.pk}/",
        f"/letters/{letter.pk}/",
        f"/letters/{letter.pk}/pdf/",
        f"/clients/{transition.client_id}/transitions/",
    ):
        assert http.get(url).status_code == 404, url
    assert "Own Client" not in http.get("/transitions/").content.decode()
    assert "Own Client" not in http.get("/transitions/?_export=csv").content.decode()
    assert "Own Client" not in http.get("/transitions/cash-flow/").content.decode()


def test_the_managers_own_transition_is_shown_but_not_moved(as_manager, transition, letter):
    assert "Own Client" in as_manager.get("/transitions/").content.decode()
    page = as_manager.get(f"/letters/{letter.pk}/").content.decode()
    assert "Send by e-mail" not in page
    assert as_manager.post(f"/transitions/{transition.pk}/stage/", {"stage": "announced"}).status_code == 403
    assert (
        as_manager.post(
            f"/letters/{letter.pk}/send/", {"key": str(uuid.uuid4()), "channel": "email"}
        ).status_code
        == 403
    )
    transition.refresh_from_db()
    assert transition.stage == Transition.Stage.PLANNED


def test_finance_moves_a_transition_through_the_page(as_finance, transition):
    assert as_finance.post(f"/transitions/{transition.pk}/stage/", {"stage": "announced"}).status_code == 302
    assert as_finance.post(f"/transitions/{transition.pk}/stage/", {"stage": "planned"}).status_code == 302
    transition.refresh_from_db()
    assert transition.stage == Transition.Stage.ANNOUNCED
    page = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert 'aria-current="step"' in page and "Announced" in page


def test_the_dashboard_shows_finance_the_watch_while_a_transition_is_open(
    as_finance, as_manager, transition, finance
):
    assert "cash-flow watch" in as_finance.get("/dashboard/").content.decode()
    assert "cash-flow watch" not in as_manager.get("/dashboard/").content.decode()
    services.transition_advance(transition=transition, stage="cancelled", user=finance)
    assert "cash-flow watch" not in as_finance.get("/dashboard/").content.decode()


def test_the_list_filters_and_exports(as_finance, transition):
    assert "Own Client" in as_finance.get("/transitions/?stage=open").content.decode()
    assert "Own Client" not in as_finance.get("/transitions/?stage=completed").content.decode()
    assert "Own Client" not in as_finance.get("/transitions/?end_before=2027-01-01").content.decode()
    export = as_finance.get("/transitions/?_export=csv").content.decode("utf-8-sig")
    assert "Own Client" in export and "Planned" in export
    # Planned at 10:00 local time on 18 Nov 2026 (the pinned clock): written so, not in UTC.
    rows = xlsx_rows(as_finance.get("/transitions/?_export=xlsx"))
    header, row = rows[0], rows[1]
    assert row[header.index("End date")] == dt.datetime(2027, 3, 31)
    assert row[header.index("Planned")] == timezone.localtime(transition.planned_at).replace(
        tzinfo=None, second=0, microsecond=0
    )


def test_creating_a_transition_by_hand(as_finance, own_client):
    response = as_finance.post(
        "/transitions/new/",
        {
            "client": own_client.external_ref,
            "reason": "Too costly to serve",
            "end_date": "2027-06-30",
            "language": "nl",
        },
    )
    assert response.status_code == 302
    transition = Transition.objects.get()
    assert (transition.language, transition.end_date) == ("nl", dt.date(2027, 6, 30))
    bad = as_finance.post(
        "/transitions/new/",
        {"client": own_client.external_ref, "reason": "again", "end_date": "2027-06-30", "language": "en"},
    )
    assert bad.status_code == 400 and "open transition" in bad.content.decode()
    assert Transition.objects.count() == 1


def test_the_detail_page_queries_do_not_grow_with_the_schedule(
    as_finance, transition, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        assert as_finance.get(f"/transitions/{transition.pk}/").status_code == 200


def test_the_task_run_twice_sends_one_email(letter, finance, django_capture_on_commit_callbacks):
    from audits.tasks import letter_send_task

    with django_capture_on_commit_callbacks(execute=False):
        services.letter_send_request(letter=letter, user=finance, key=uuid.uuid4(), channel="email")
    letter_send_task.apply(args=[letter.pk])
    letter_send_task.apply(args=[letter.pk])
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_claim_the_letter_once(own_client, finance):
    """Two requests with different form keys race for the same letter: the conditional UPDATE lets one win."""
    import threading

    from django.db import connection

    services.letter_templates_install_defaults()
    ContactFactory(client=own_client, name="Ana Pop", email="ana@client.example", is_primary=True)
    transition = services.transition_create(
        client=own_client, user=finance, reason="x", end_date=dt.date(2027, 3, 31)
    )
    letter = services.letter_draft(transition=transition, kind="announcement", user=finance)
    barrier = threading.Barrier(2)
    results = []

    def request():
        try:
            barrier.wait()
            results.append(
                services.letter_send_request(letter=letter, user=finance, key=uuid.uuid4(), channel="pdf")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert Letter.objects.get(pk=letter.pk).state == Letter.State.SENT


def test_the_alternatives_letter_waits_for_the_alternatives_to_be_chosen(as_finance, transition):
    response = as_finance.post(f"/transitions/{transition.pk}/letters/alternatives/", follow=True)
    assert "choose them first" in response.content.decode()
    assert not Letter.objects.filter(transition=transition, kind="alternatives").exists()
    from audits.models import AlternativeProvider

    transition.providers.add(AlternativeProvider.objects.create(name="Nordic Books", services="Bookkeeping"))
    as_finance.post(f"/transitions/{transition.pk}/letters/alternatives/")
    assert "Nordic Books" in Letter.objects.get(transition=transition, kind="alternatives").body


def test_the_letters_follow_the_stage_of_their_transition(
    as_finance, transition, finance, django_capture_on_commit_callbacks
):
    """No letter for a cancelled transition; the final thank-you once it is completed; sending a
    letter moves an earlier transition to the stage the letter marks, dated and attributed."""
    page = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert "it goes out once the transition is completed" in page
    refused = as_finance.post(f"/transitions/{transition.pk}/letters/thank_you/", follow=True)
    assert "it goes out once the transition is completed" in refused.content.decode()
    assert not transition.letters.exists()

    announcement = services.letter_draft(transition=transition, kind="announcement", user=finance)
    with django_capture_on_commit_callbacks(execute=True):
        _send(as_finance, announcement, uuid.uuid4())
    transition.refresh_from_db()
    assert transition.stage == Transition.Stage.ANNOUNCED and transition.announced_at
    from audits.models import AlternativeProvider

    transition.providers.add(AlternativeProvider.objects.create(name="Nordic Books"))
    alternatives = services.letter_draft(transition=transition, kind="alternatives", user=finance)
    _send(as_finance, alternatives, uuid.uuid4(), channel="pdf")
    transition.refresh_from_db()
    assert transition.stage == Transition.Stage.ALTERNATIVES_OFFERED

    services.transition_advance(transition=transition, stage=Transition.Stage.COMPLETED, user=finance)
    transition.refresh_from_db()
    thanks = services.letter_draft(transition=transition, kind="thank_you", user=finance)
    assert thanks.state == Letter.State.DRAFT
    assert transition.stage == Transition.Stage.COMPLETED


def test_a_cancelled_transition_sends_no_letter(as_finance, transition, letter, finance):
    transition = services.transition_advance(
        transition=transition, stage=Transition.Stage.CANCELLED, user=finance
    )
    body = as_finance.get(f"/letters/{letter.pk}/").content.decode()
    assert "This transition is cancelled: the client stays, and no letter goes out." in body
    assert "Send by e-mail" not in body and "Edit before sending" not in body
    with pytest.raises(ValidationError, match="cancelled"):
        services.letter_update(letter=letter, user=finance, subject="Still", body="Leaving")
    sent = _send(as_finance, letter, uuid.uuid4())
    assert sent.status_code == 302
    letter.refresh_from_db()
    assert letter.state == Letter.State.DRAFT and not mail.outbox
    with pytest.raises(ValidationError, match="cancelled"):
        services.letter_draft(transition=transition, kind="alternatives", user=finance)
    page = as_finance.get(f"/transitions/{transition.pk}/").content.decode()
    assert "Write from the template" not in page
    closed = as_finance.get(f"/transitions/{transition.pk}/schedule/", follow=True)
    assert "The schedule of a closed transition cannot change." in closed.content.decode()
    assert closed.redirect_chain[-1][0] == f"/transitions/{transition.pk}/"


def test_moving_the_end_date_after_a_letter_went_out_says_the_client_was_told_another(
    as_finance, transition, letter
):
    def schedule(end_date):
        data = {"end_date": end_date}
        data.update({f"month_{m.month:%Y_%m}": str(m.expected_revenue) for m in transition.months.all()})
        return as_finance.post(f"/transitions/{transition.pk}/schedule/", data, follow=True).content.decode()

    assert "already sent" not in schedule("2027-04-30")  # the letter is a draft still
    _send(as_finance, letter, uuid.uuid4(), channel="pdf")
    body = schedule("2027-06-30")
    assert (
        "The letters already sent gave 30 Apr 2027 as the end date: tell the client of the new one, 30 Jun 2027."
        in body
    )


def test_completing_before_any_letter_went_out_is_warned_and_asked_twice(as_finance, letter, finance):
    page = as_finance.get(f"/transitions/{letter.transition.pk}/").content.decode()
    assert "No letter has gone to the client yet: announce the transition" in page
    assert "No letter has gone to the client yet. Complete the transition all the same?" in page
    services.letter_send_request(letter=letter, user=finance, key=uuid.uuid4(), channel="pdf")
    page = as_finance.get(f"/transitions/{letter.transition.pk}/").content.decode()
    assert "No letter has gone to the client yet" not in page
    assert "Complete the transition now?" in page
