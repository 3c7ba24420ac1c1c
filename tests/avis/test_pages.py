"""The avis pages (issue 20): the expert reads only what they are asked about, answers once after
confirming; the instructor asks, reads pending and given opinions, filters the list by them; the
committee reads only the opinions shared with it."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from fonds.avis import services
from fonds.avis.models import AvisRequest
from fonds.instruction import services as instruction
from tests.avis.conftest import in_days
from tests.factories import PDF_BYTES, make_user

pytestmark = pytest.mark.django_db


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_the_expert_lists_only_the_requests_addressed_to_them(client, ask, avis_world):
    mine = ask()
    theirs = ask(dossier=avis_world["other"], email="autre.expert@exemple.fr")
    page = _signed_in(client, mine.expert).get(reverse("avis:requests")).content.decode()
    assert mine.dossier.reference in page and theirs.dossier.reference not in page


def test_the_expert_never_reads_a_request_addressed_to_someone_else(client, ask, avis_world):
    mine = ask()
    theirs = ask(dossier=avis_world["other"], email="autre.expert@exemple.fr")
    _signed_in(client, mine.expert)
    assert client.get(reverse("avis:request", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("avis:request", args=[theirs.pk]), {"answer": "x", "confirm": "on"}).status_code
        == 404
    )
    document = theirs.dossier.documents.exclude(kind="rib").first()
    assert client.get(reverse("avis:document", args=[theirs.pk, document.pk])).status_code == 404
    # a document of another dossier through one's own request: not found either
    assert client.get(reverse("avis:document", args=[mine.pk, document.pk])).status_code == 404


def test_the_expert_reads_no_dossier_through_the_other_pages(client, ask):
    avis = ask()
    _signed_in(client, avis.expert)
    dossier = avis.dossier
    assert client.get(reverse("dossier-detail", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("instruction:dossier", args=[dossier.pk])).status_code == 403
    assert client.get(reverse("conversation:thread", args=[dossier.pk])).status_code in (403, 404)
    assert dossier.reference not in client.get(reverse("dossier-list")).content.decode()
    api = client.get("/api/v1/dossiers/", HTTP_ACCEPT="application/json")
    assert api.status_code == 200 and dossier.reference not in api.content.decode()
    assert client.get(f"/api/v1/dossiers/{dossier.pk}/").status_code == 404


def test_the_expert_page_shows_the_submitted_content_without_private_data(client, ask, avis_world):
    dossier = avis_world["dossier"]
    dossier.youth_ages = [13, 14, 15]
    dossier.save(update_fields=["youth_ages"])
    instruction.add_note(dossier, by=avis_world["instructeur"], body="Note privée : maire en difficulté.")
    colleague = ask(email="confidentiel@exemple.fr", question="Question confidentielle ?")
    services.answer_avis(colleague, by=colleague.expert, text="Avis confidentiel du collègue.")
    avis = ask()
    page = _signed_in(client, avis.expert).get(reverse("avis:request", args=[avis.pk])).content.decode()
    assert dossier.title in page and avis.question in page
    assert "13, 14, 15" not in page and "âges" not in page
    assert "Note privée" not in page and "Avis confidentiel du collègue" not in page
    assert "Question confidentielle" not in page
    rib = dossier.documents.filter(kind="rib").first()
    if rib is not None:
        assert reverse("avis:document", args=[avis.pk, rib.pk]) not in page
        assert client.get(reverse("avis:document", args=[avis.pk, rib.pk])).status_code == 404
    shown = dossier.documents.exclude(kind="rib").first()
    assert client.get(reverse("avis:document", args=[avis.pk, shown.pk])).status_code == 200


def test_the_answer_needs_the_confirmation_then_is_final(client, ask):
    avis = ask()
    _signed_in(client, avis.expert)
    url = reverse("avis:request", args=[avis.pk])
    response = client.post(url, {"answer": "Avis favorable."})
    assert response.status_code == 400 and "Rien n'a été envoyé" in response.content.decode()
    avis.refresh_from_db()
    assert avis.is_pending
    with open_pdf() as pdf:
        response = client.post(url, {"answer": "Avis favorable.", "confirm": "on", "attachment": pdf})
    assert response.status_code == 302
    avis.refresh_from_db()
    assert avis.status == AvisRequest.Status.ANSWERED and avis.attachment_type == "application/pdf"
    page = client.get(url).content.decode()
    assert "Rendu le" in page and "<form" not in page.split('id="reponse"')[1].split("</section>")[0]
    assert client.post(url, {"answer": "Autre avis.", "confirm": "on"}).status_code == 409
    assert client.get(reverse("avis:attachment", args=[avis.pk])).status_code == 200


def open_pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    class _Open:
        def __enter__(self):
            return SimpleUploadedFile("avis.pdf", PDF_BYTES, content_type="application/pdf")

        def __exit__(self, *exc):
            return False

    return _Open()


def test_the_instructor_asks_with_a_deadline_after_today(client, avis_world):
    dossier = avis_world["dossier"]
    _signed_in(client, avis_world["instructeur"])
    url = reverse("avis:ask", args=[dossier.pk])
    data = {
        "email": "prefecture@interieur.gouv.fr",
        "question": "Situation de la commune ?",
        "deadline": in_days(0).isoformat(),
        "visibility": "confidential",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "La date limite doit être postérieure à aujourd&#x27;hui." in response.content.decode()
    response = client.post(url, {**data, "deadline": in_days(14).strftime("%d/%m/%Y")})
    assert response.status_code == 302 and response["Location"].endswith("#avis")
    assert AvisRequest.objects.get().deadline == in_days(14)


def test_the_instruction_page_shows_pending_and_given_opinions(client, ask, avis_world):
    pending = ask(email="en.attente@exemple.fr")
    given = ask(email="rendu@exemple.fr")
    services.answer_avis(given, by=given.expert, text="Le partenaire est reconnu.")
    page = (
        _signed_in(client, avis_world["instructeur"])
        .get(reverse("instruction:dossier", args=[avis_world["dossier"].pk]))
        .content.decode()
    )
    assert "1 en attente, 1 rendu" in page
    assert pending.expert.email in page and "Le partenaire est reconnu." in page
    assert reverse("avis:cancel", args=[pending.pk]) in page


def test_the_instructor_cancels_from_the_dossier_page(client, ask, avis_world):
    avis = ask()
    _signed_in(client, avis_world["instructeur"]).post(reverse("avis:cancel", args=[avis.pk]))
    avis.refresh_from_db()
    assert avis.status == AvisRequest.Status.CANCELLED


def test_the_committee_reads_only_the_opinions_shared_with_it(ask, avis_world):
    shared = ask(email="partage@exemple.fr", visibility=AvisRequest.Visibility.COMMITTEE)
    secret = ask(email="secret@exemple.fr")
    pending = ask(email="attente@exemple.fr", visibility=AvisRequest.Visibility.COMMITTEE)
    services.answer_avis(shared, by=shared.expert, text="Avis partagé.")
    services.answer_avis(secret, by=secret.expert, text="Avis confidentiel.")
    html = Template("{% load avis_tags %}{% avis_committee_panel dossier %}").render(
        Context({"dossier": avis_world["dossier"]})
    )
    assert "Avis partagé." in html and "Avis confidentiel." not in html and pending.expert.email not in html


def test_the_list_filters_by_pending_or_given_opinions(
    client, ask, avis_world, django_assert_max_num_queries
):
    pending = ask()
    given = ask(dossier=avis_world["other"], email="rendu@exemple.fr")
    services.answer_avis(given, by=given.expert, text="Avis.")
    _signed_in(client, avis_world["instructeur"])
    for value, shown, hidden in (("pending", pending, given), ("answered", given, pending)):
        with django_assert_max_num_queries(10):
            response = client.get(reverse("instruction:list"), {"avis": value})
        page = response.content.decode()
        assert shown.dossier.reference in page and hidden.dossier.reference not in page


def test_the_selection_asks_the_same_expert_about_each_filtered_dossier(client, avis_world):
    _signed_in(client, avis_world["instructeur"])
    url = reverse("avis:ask-selection")
    page = client.get(url, {"querystring": "status=in_instruction"}).content.decode()
    assert avis_world["dossier"].reference in page and avis_world["other"].reference in page
    response = client.post(
        url,
        {
            "querystring": "status=in_instruction",
            "email": "ambassade@diplomatie.gouv.fr",
            "question": "Les villes partenaires sont-elles connues ?",
            "deadline": in_days(10).isoformat(),
            "visibility": "committee",
        },
    )
    assert response.status_code == 302
    assert AvisRequest.objects.filter(expert__email="ambassade@diplomatie.gouv.fr").count() == 2


def test_a_non_expert_role_gets_no_expert_page(client, ask):
    avis = ask()
    for role in ("instructeur", "comite", "finance", "auditeur"):
        _signed_in(client, make_user(role))
        assert client.get(reverse("avis:request", args=[avis.pk])).status_code == 403


def test_a_signed_in_expert_lands_on_their_requests(client, ask):
    avis = ask()
    _signed_in(client, avis.expert)
    assert client.get(reverse("home"))["Location"] == reverse("avis:requests")
    assert client.get(reverse("depot:my-dossiers"))["Location"] == reverse("avis:requests")


def test_the_panel_offers_no_request_to_a_read_only_auditor(ask, avis_world):
    ask()
    request = RequestFactory().get("/")
    request.user = make_user("auditeur")
    html = Template("{% load avis_tags %}{% avis_instruction_panel dossier %}").render(
        Context({"dossier": avis_world["dossier"], "request": request})
    )
    assert "Demander un avis" not in html and "Annuler la demande" not in html


def test_the_emails_say_nothing_of_the_dossier_content(ask):
    from fonds.avis.tasks import avis_email

    avis = ask(question="Question confidentielle sur le maire")
    to, subject, body = avis_email("requested", avis)
    assert to == avis.expert.email and avis.dossier.reference in subject
    assert "Question confidentielle" not in body and f"/avis/demandes/{avis.pk}/" in body
