"""The complete dossier as one PDF (issue 21, c): every attachment merged in order, the audience
deciding what is included, made by a task through the outbox, sealed and audited, and only for the
roles that may have each version."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fonds import clock
from fonds.audit import chain
from fonds.audit.models import AuditEvent
from fonds.avis.models import AvisRequest
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import Document
from fonds.instruction import services as instruction
from fonds.ops.models import OutboxMessage
from fonds.proof import assemble, complete, content
from fonds.proof.audiences import Audience
from tests.factories import make_user
from tests.reporting.helpers import dossier_in

from .helpers import attach, image_bytes, pdf_pages

pytestmark = pytest.mark.django_db

NOTE = "Note interne : vérifier la délibération avec la préfecture."


@pytest.fixture
def dossier():
    """An instructed dossier with 10 attachments: the factory's 4 one-page PDFs, 4 PDFs of 2 to 5
    pages, a PNG and a JPEG — 4 + 14 + 2 = 20 pages of attachments."""
    dossier = dossier_in("in_instruction")
    for n, pages in enumerate((2, 3, 4, 5), start=1):
        attach(dossier, "other", f"annexe-{n}.pdf", pdf_pages(f"ANNEXE{n}", pages), "application/pdf")
    attach(dossier, "other", "photo.png", image_bytes("PNG"), "image/png")
    attach(dossier, "other", "plan.jpg", image_bytes("JPEG"), "image/jpeg")
    return dossier


def _pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_complete_pdf_holds_every_page_of_its_ten_attachments_in_order(dossier):
    docs = content.attachments(dossier)
    assert len(docs) == 10
    upto = content.last_seq(dossier.pk, Audience.AUDITEUR)
    front = _pages(assemble.render_front(dossier, Audience.AUDITEUR, docs))
    back = _pages(assemble.render_back(dossier, Audience.AUDITEUR, upto))

    document = complete.ensure(dossier.pk, Audience.AUDITEUR)
    with document.file.open("rb") as fh:
        data = fh.read()
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == front + 20 + back

    # the attachments follow the front part in the listed order, page by page
    page = front
    for doc in docs:
        if doc.original_name.startswith("annexe-"):
            n = doc.original_name[len("annexe-")]
            count = int(n) + 1
            for p in range(1, count + 1):
                assert f"ANNEXE{n} page {p}" in reader.pages[page + p - 1].extract_text()
            page += count
        elif doc.content_type.startswith("image/"):
            assert doc.original_name in reader.pages[page].extract_text()
            page += 1
        else:
            page += 1
    assert page == front + 20


def test_the_complete_pdf_ends_with_the_hash_of_the_dossiers_last_event(dossier):
    last = AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk)).order_by(
        "-seq"
    )[0]
    document = complete.ensure(dossier.pk, Audience.COMITE)
    with document.file.open("rb") as fh:
        reader = PdfReader(fh)
        final = reader.pages[-1].extract_text().replace("\n", "").replace(" ", "")
    # the last page: the closing box, then the last hash (then only the page's running footer)
    assert "Empreintedudernierévénement" in final
    assert final.index(last.hash) > final.index("Empreintedudernierévénement")
    assert final.endswith("page2sur2") or final[final.index(last.hash) + 64 :].startswith("Dossiercomplet")


def test_the_committee_version_has_no_private_notes_and_the_others_have_them(dossier):
    instruction.add_note(dossier, by=make_user("instructeur"), body=NOTE)
    texts = {}
    for audience in Audience:
        document = complete.ensure(dossier.pk, audience)
        with document.file.open("rb") as fh:
            texts[audience] = _text(fh.read()).replace("\n", " ")
    assert "vérifier la délibération" not in texts[Audience.COMITE]
    assert "Notes internes" not in texts[Audience.COMITE]
    assert "vérifier la délibération" in texts[Audience.INSTRUCTEUR]
    assert "vérifier la délibération" in texts[Audience.AUDITEUR]
    # only the auditor's version lists the audit events of the notes
    assert "Événements de la piste d'audit de ces notes" in texts[Audience.AUDITEUR]
    assert "Événements de la piste d'audit de ces notes" not in texts[Audience.INSTRUCTEUR]


def test_the_complete_pdf_is_sealed_and_its_sha256_is_in_the_trail(dossier):
    document = complete.ensure(dossier.pk, Audience.AUDITEUR)
    with document.file.open("rb") as fh:
        data = fh.read()
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert "/ByteRange" in data.decode("latin-1")  # the PAdES seal (validated in tests/documents)
    event = AuditEvent.objects.filter(action=content.GENERATED_EVENT, object_id=str(dossier.pk)).get()
    assert f'"sha256":"{document.sha256}"' in event.canonical
    assert '"audience":"auditeur"' in event.canonical


def test_making_one_version_does_not_make_the_others_stale(dossier):
    seq = content.last_seq(dossier.pk, Audience.AUDITEUR)
    complete.ensure(dossier.pk, Audience.COMITE)
    assert content.last_seq(dossier.pk, Audience.AUDITEUR) == seq
    assert complete.progress(dossier.pk, Audience.COMITE).state == "ready"
    assert complete.progress(dossier.pk, Audience.AUDITEUR).state == "none"


def test_a_new_event_on_the_dossier_asks_for_a_new_pdf(dossier):
    complete.ensure(dossier.pk, Audience.COMITE)
    chain.append("comment", actor=None, role="system", obj=dossier, payload={})
    assert complete.progress(dossier.pk, Audience.COMITE).state == "none"


def test_a_new_private_note_asks_for_a_new_pdf_but_not_for_the_committee(dossier):
    complete.ensure(dossier.pk, Audience.COMITE)
    complete.ensure(dossier.pk, Audience.INSTRUCTEUR)
    instruction.add_note(dossier, by=make_user("instructeur"), body="Une autre note.")  # about the note
    assert complete.progress(dossier.pk, Audience.COMITE).state == "ready"
    assert complete.progress(dossier.pk, Audience.INSTRUCTEUR).state == "none"


def test_an_unreadable_pdf_attachment_is_replaced_by_a_page_giving_its_fingerprint(dossier):
    bad = attach(dossier, "other", "casse.pdf", b"%PDF-1.4\nrien de lisible", "application/pdf")
    document = complete.ensure(dossier.pk, Audience.AUDITEUR)
    with document.file.open("rb") as fh:
        text = _text(fh.read()).replace("\n", " ")
    assert "n'a pas pu être lu" in text and bad.sha256[:32] in text.replace(" ", "")


def test_the_page_asks_through_the_outbox_then_serves_the_pdf(
    client, dossier, django_capture_on_commit_callbacks
):
    client.force_login(make_user("auditeur"))
    url = reverse("proof:complete-auditeur", args=[dossier.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Préparer le dossier complet" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    message = OutboxMessage.objects.get(task="fonds.proof.tasks.build_dossier_pdf")
    assert message.args == [dossier.pk, "auditeur", content.last_seq(dossier.pk, Audience.AUDITEUR)]
    pdf = client.get(url)  # eager task in tests: made when the request committed
    assert pdf["Content-Type"] == "application/pdf"
    data = b"".join(pdf.streaming_content)
    assert GeneratedDocument.objects.get(sha256=hashlib.sha256(data).hexdigest())
    status = client.get(reverse("proof:complete-status-auditeur", args=[dossier.pk])).json()
    assert status["state"] == "ready" and status["download_url"] == url


def test_the_committee_cannot_have_the_instructors_version(client, dossier):
    client.force_login(make_user("comite"))
    assert client.get(reverse("proof:complete-instructeur", args=[dossier.pk])).status_code == 403
    assert client.get(reverse("proof:complete-comite", args=[dossier.pk])).status_code == 200


def test_a_porteur_has_no_version(client, dossier):
    client.force_login(dossier.created_by)
    for audience in Audience:
        assert client.get(reverse(f"proof:complete-{audience.value}", args=[dossier.pk])).status_code == 403


def test_the_dossier_page_links_to_each_version_the_role_may_have(client, dossier):
    client.force_login(make_user("auditeur"))
    page = client.get(reverse("instruction:dossier", args=[dossier.pk])).content.decode()
    assert reverse("proof:complete-auditeur", args=[dossier.pk]) in page
    assert reverse("proof:complete-instructeur", args=[dossier.pk]) not in page
    client.force_login(make_user("instructeur"))
    page = client.get(reverse("instruction:dossier", args=[dossier.pk])).content.decode()
    assert reverse("proof:complete-instructeur", args=[dossier.pk]) in page
    assert reverse("proof:complete-auditeur", args=[dossier.pk]) not in page


def test_replaced_attachments_are_left_out(dossier):
    old = Document.objects.filter(dossier=dossier, kind="rib").get()
    new = attach(dossier, "rib", "rib-2.pdf", pdf_pages("RIB2", 1), "application/pdf")
    Document.objects.filter(pk=old.pk).update(replaced_by=new)
    names = [d.original_name for d in content.attachments(dossier)]
    assert "rib-2.pdf" in names and "rib.pdf" not in names


def test_expert_opinions_the_committee_reads_only_those_shared_with_it(dossier):
    expert, instructor = make_user("expert"), make_user("instructeur")
    for visibility, answer in (
        (AvisRequest.Visibility.COMMITTEE, "Avis partagé : le jumelage est actif depuis 1998."),
        (AvisRequest.Visibility.CONFIDENTIAL, "Avis réservé : situation financière tendue."),
    ):
        AvisRequest.objects.create(
            dossier=dossier,
            expert=expert,
            requested_by=instructor,
            question="Le jumelage est-il actif ?",
            deadline=clock.today(),
            visibility=visibility,
            status=AvisRequest.Status.ANSWERED,
            answer=answer,
            answered_at=clock.now(),
        )
    texts = {}
    for audience in Audience:
        with complete.ensure(dossier.pk, audience).file.open("rb") as fh:
            texts[audience] = _text(fh.read()).replace("\n", " ")
    assert "Avis partagé" in texts[Audience.COMITE] and "Avis réservé" not in texts[Audience.COMITE]
    for audience in (Audience.INSTRUCTEUR, Audience.AUDITEUR):
        assert "Avis partagé" in texts[audience] and "Avis réservé" in texts[audience]
