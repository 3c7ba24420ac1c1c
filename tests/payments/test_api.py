"""A whole dossier from approval to closed through /api/v1/ (payments endpoints), and bad input
→ French 4xx."""

import datetime as dt
from decimal import Decimal

import pytest
import xmlschema
from rest_framework.test import APIClient

from fonds.comite.testing import Committee
from fonds.dossiers.states import Status
from fonds.payments import sepa
from fonds.payments.models import BankDetails, Batch, PaymentOrder
from fonds.payments.testing import travel_to_execution_date
from fonds.suivi.convention import ensure_convention
from fonds.suivi.services import planned_report, save_report_draft
from fonds.suivi.testing import SIGNED_LIST_PDF, travel_after_project
from tests.factories import make_dossier, make_user

from .conftest import BIC_OK, IBAN_OK, at_status, certified_bank, report_submitted, rib_of, signed

pytestmark = pytest.mark.django_db
API = "/api/v1"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def pay_by_batch(finance, order_id, clock):
    """Build, export, send a batch, then record its execution on its requested execution date."""
    built = finance.post(f"{API}/payments/batches/", {"order_ids": [order_id]}, format="json")
    assert built.status_code == 201, built.json()
    batch = built.json()["id"]
    file = finance.get(f"{API}/payments/batches/{batch}/file/")
    assert file.status_code == 200 and file["Content-Type"] == "application/xml"
    xmlschema.XMLSchema(sepa.XSD_PATH).validate(file.content.decode())
    assert finance.post(f"{API}/payments/batches/{batch}/sent/", {}, format="json").status_code == 200
    travel_to_execution_date(clock, Batch.objects.get(pk=batch))
    executed = finance.post(f"{API}/payments/batches/{batch}/execution/", {}, format="json")
    assert executed.status_code == 200 and executed.json()["state"] == "executed"
    return batch


def test_whole_dossier_from_approval_to_closed_through_the_api(cast, clock):
    comite = make_user("comite")
    porteur, finance = client_for(cast.porteur), client_for(cast.finance)
    dossier = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
    at_status(dossier, Status.INSTRUCTED, proposed_amount=Decimal("5670.00"))

    Committee(admin=make_user("admin"), chair=comite).decide(
        dossier, "approve"
    )  # in a sitting, not through the API
    assert dossier.status == "approved"
    sha = ensure_convention(dossier).sha256  # the convention the mayor reads (PDF generated on commit)
    r = porteur.post(
        f"{API}/dossiers/{dossier.pk}/transitions/accept_agreement/",
        {"signatory_name": "Marie Dupont", "document_sha256": sha},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "agreement_signed"

    orders = finance.get(f"{API}/payments/orders/", {"dossier": dossier.pk}).json()
    assert [(o["kind"], o["amount"], o["state"]) for o in orders] == [("advance", "4252.50", "to_certify")]
    r = porteur.put(
        f"{API}/payments/bank-details/{cast.commune.pk}/",
        {
            "iban": IBAN_OK,
            "bic": BIC_OK,
            "holder": "Commune de Saint-Exemple",
            "rib_document": rib_of(dossier).pk,
        },
        format="json",
    )
    assert r.status_code == 200 and r.json()["iban"] == "FR76 **** 0189" and r.json()["is_certified"] is False
    assert (
        porteur.post(f"{API}/payments/bank-details/{cast.commune.pk}/certify/", {}, format="json").status_code
        == 403
    )
    r = finance.post(f"{API}/payments/bank-details/{cast.commune.pk}/certify/", {}, format="json")
    assert r.status_code == 200 and r.json()["is_certified"] is True

    pay_by_batch(finance, orders[0]["id"], clock)
    dossier.refresh_from_db()
    assert dossier.status == Status.ADVANCE_PAID

    travel_after_project(clock, dossier)  # the trip has happened: the report may be filed
    fields, lines = planned_report(dossier)
    fields["activity_report"] = "Le projet s'est déroulé comme prévu."
    save_report_draft(
        dossier, by=cast.porteur, fields=fields, lines=lines, participant_list=("liste.pdf", SIGNED_LIST_PDF)
    )
    r = porteur.post(f"{API}/dossiers/{dossier.pk}/transitions/submit_report/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "report_submitted"

    r = finance.post(f"{API}/payments/final-reports/{dossier.pk}/accept/", {}, format="json")
    assert r.status_code == 201 and r.json()["balance"] == "1417.50"
    balance = finance.get(f"{API}/payments/orders/", {"dossier": dossier.pk, "kind": "balance"}).json()
    assert [(o["amount"], o["state"]) for o in balance] == [("1417.50", "ready")]
    pay_by_batch(finance, balance[0]["id"], clock)
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert set(PaymentOrder.objects.filter(dossier=dossier).values_list("state", flat=True)) == {"paid"}


def test_recovery_answered_and_received_through_the_api(cast, clock):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    finance, porteur = client_for(cast.finance), client_for(cast.porteur)
    pay_by_batch(finance, PaymentOrder.objects.get(dossier=dossier).pk, clock)
    dossier.refresh_from_db()
    travel_after_project(clock, dossier)
    fields, lines = planned_report(dossier)
    fields.update(
        activity_report="Moins de jeunes que prévu.", youth_ages=[14, 15, 16, 17], leader_ages=[40, 41]
    )
    save_report_draft(
        dossier, by=cast.porteur, fields=fields, lines=lines, participant_list=("liste.pdf", SIGNED_LIST_PDF)
    )
    assert (
        porteur.post(f"{API}/dossiers/{dossier.pk}/transitions/submit_report/", {}, format="json").status_code
        == 200
    )
    assert (
        finance.post(f"{API}/payments/final-reports/{dossier.pk}/accept/", {}, format="json").json()[
            "balance"
        ]
        == "-650.50"
    )
    recovery = porteur.get(f"{API}/payments/orders/", {"kind": "recovery"}).json()[0]
    assert recovery["state"] == "contradictory" and recovery["amount"] == "650.50"
    assert (
        client_for(cast.other_porteur)
        .post(f"{API}/payments/orders/{recovery['id']}/answer/", {"text": "x"}, format="json")
        .status_code
        == 404
    )
    r = porteur.post(
        f"{API}/payments/orders/{recovery['id']}/answer/",
        {"text": "Deux désistements de dernière minute."},
        format="json",
    )
    assert r.status_code == 200 and r.json()["answered_at"]
    assert (
        finance.post(
            f"{API}/payments/orders/{recovery['id']}/make-final/",
            {"motivation": "Réponse examinée."},
            format="json",
        ).json()["state"]
        == "final"
    )
    assert (
        finance.post(f"{API}/payments/orders/{recovery['id']}/received/", {}, format="json").json()["state"]
        == "paid"
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED


def test_api_bad_input_french_4xx_nothing_changed(cast):
    dossier = signed(cast)
    finance, porteur = client_for(cast.finance), client_for(cast.porteur)
    r = porteur.put(
        f"{API}/payments/bank-details/{cast.commune.pk}/",
        {
            "iban": "FR7630006000011234567890188",
            "bic": "XX",
            "holder": "C",
            "rib_document": rib_of(dossier).pk,
        },
        format="json",
    )
    assert (
        r.status_code == 400
        and "IBAN invalide" in r.json()["iban"][0]
        and "BIC invalide" in r.json()["bic"][0]
    )
    assert not BankDetails.objects.exists()
    r = porteur.put(
        f"{API}/payments/bank-details/{cast.commune.pk}/",
        {"iban": IBAN_OK, "bic": BIC_OK, "holder": "C", "colour": "red"},
        format="json",
    )
    assert r.status_code == 400 and "colour" in r.json()
    assert (
        client_for(cast.other_porteur).get(f"{API}/payments/bank-details/{cast.commune.pk}/").status_code
        == 404
    )
    assert (
        client_for(cast.other_porteur)
        .get(f"{API}/payments/orders/{PaymentOrder.objects.get().pk}/")
        .status_code
        == 404
    )
    r = finance.post(f"{API}/payments/batches/", {"order_ids": []}, format="json")
    assert r.status_code == 400 and "vide" in r.json()["detail"]
    r = finance.post(f"{API}/payments/batches/", {"order_ids": ["abc"]}, format="json")
    assert r.status_code == 400
    assert (
        client_for(cast.auditeur)
        .post(f"{API}/payments/batches/", {"order_ids": [1]}, format="json")
        .status_code
        == 403
    )
    certified_bank(cast, dossier=dossier)
    other = signed(cast)
    batch = finance.post(
        f"{API}/payments/batches/",
        {"order_ids": [PaymentOrder.objects.get(dossier=dossier).pk]},
        format="json",
    ).json()["id"]
    finance.post(f"{API}/payments/batches/{batch}/sent/", {}, format="json")
    r = finance.post(
        f"{API}/payments/batches/{batch}/returns/",
        {"order": PaymentOrder.objects.get(dossier=other).pk, "reason_code": "AC04"},
        format="json",
    )
    assert r.status_code == 400 and "ne fait pas partie du lot" in r.json()["detail"]
    assert (
        Batch.objects.get(pk=batch).state == "sent"
        and PaymentOrder.objects.get(dossier=other).state == "ready"
    )
    assert finance.get(f"{API}/payments/batches/999999999999999999999/").status_code == 404
    assert finance.post(f"{API}/payments/orders/1/explode/", {}, format="json").status_code == 404


def test_api_bank_details_carry_the_siret_validated_like_the_form(cast):
    from .conftest import siret_of

    dossier = signed(cast)
    porteur = client_for(cast.porteur)
    url = f"{API}/payments/bank-details/{cast.commune.pk}/"
    body = {
        "iban": IBAN_OK,
        "bic": BIC_OK,
        "holder": "Commune de Saint-Exemple",
        "rib_document": rib_of(dossier).pk,
    }
    r = porteur.put(url, {**body, "siret": siret_of(cast.other_commune)}, format="json")
    assert r.status_code == 400 and f"SIREN de la commune, {cast.commune.siren}" in str(r.json())
    assert not BankDetails.objects.exists()
    siret = siret_of(cast.commune)
    r = porteur.put(url, {**body, "siret": f"{siret[:9]} {siret[9:]}"}, format="json")
    assert r.status_code == 200 and r.json()["siret"] == siret
    r = porteur.put(url, body, format="json")  # left out: kept
    assert r.status_code == 200 and r.json()["siret"] == siret and r.json()["version"] == 1
    assert porteur.get(url).json()["siret"] == siret


def test_openapi_schema_documents_the_bank_details_siret(cast):
    schema = client_for(cast.finance).get(f"{API}/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert "siret" in components["BankDetails"]["properties"]
    assert "siret" in components["BankDetailsWrite"]["properties"]
    assert "siret" not in components["BankDetailsWrite"].get("required", [])


# ---- dates that cannot lie: 409 ``too_early`` with a French message, nothing changed -------------


def test_api_make_final_before_answer_or_15_days_is_409(cast, clock):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    finance = client_for(cast.finance)
    pay_by_batch(finance, PaymentOrder.objects.get(dossier=dossier).pk, clock)
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    assert (
        finance.post(f"{API}/payments/final-reports/{dossier.pk}/accept/", {}, format="json").status_code
        == 201
    )
    recovery = PaymentOrder.objects.get(dossier=dossier, kind="recovery")
    clock.advance(days=1)  # what finance did in issue 13: day 1, no answer
    r = finance.post(
        f"{API}/payments/orders/{recovery.pk}/make-final/", {"motivation": "Trop tôt."}, format="json"
    )
    assert (
        r.status_code == 409
        and r.json()["code"] == "too_early"
        and r.json()["rules"] == ["recovery_answer_period"]
    )
    assert "ne peut pas encore être rendu exécutoire" in r.json()["detail"]
    recovery.refresh_from_db()
    assert recovery.state == "contradictory"
    clock.advance(days=14)
    r = finance.post(
        f"{API}/payments/orders/{recovery.pk}/make-final/", {"motivation": "Aucune réponse."}, format="json"
    )
    assert r.status_code == 200 and r.json()["state"] == "final"


def test_api_batch_execution_before_requested_date_is_409(cast, clock):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    finance = client_for(cast.finance)
    requested = clock.today() + dt.timedelta(days=3)
    built = finance.post(
        f"{API}/payments/batches/",
        {
            "order_ids": [PaymentOrder.objects.get(dossier=dossier).pk],
            "execution_date": requested.isoformat(),
        },
        format="json",
    )
    batch = built.json()["id"]
    assert finance.post(f"{API}/payments/batches/{batch}/sent/", {}, format="json").status_code == 200
    r = finance.post(f"{API}/payments/batches/{batch}/execution/", {}, format="json")
    assert (
        r.status_code == 409 and r.json()["code"] == "too_early" and r.json()["rules"] == ["execution_date"]
    )
    assert f"à partir du {requested:%d/%m/%Y}" in r.json()["detail"]
    assert Batch.objects.get(pk=batch).state == "sent"
    clock.travel_to(requested)
    assert (
        finance.post(f"{API}/payments/batches/{batch}/execution/", {}, format="json").json()["state"]
        == "executed"
    )


def test_api_accept_final_report_before_project_end_is_409(cast, clock):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    finance = client_for(cast.finance)
    pay_by_batch(finance, PaymentOrder.objects.get(dossier=dossier).pk, clock)
    dossier.refresh_from_db()
    report_submitted(cast, dossier)
    clock.travel_to(dossier.end_date - dt.timedelta(days=1))  # seen from before the project's end
    r = finance.post(f"{API}/payments/final-reports/{dossier.pk}/accept/", {}, format="json")
    assert (
        r.status_code == 409
        and r.json()["code"] == "too_early"
        and r.json()["rules"] == ["project_not_ended"]
    )
    assert "ne peut pas être validé avant la fin du projet" in r.json()["detail"]
    dossier.refresh_from_db()
    assert (
        dossier.status == Status.REPORT_SUBMITTED
        and not PaymentOrder.objects.filter(dossier=dossier, kind="balance").exists()
    )
