"""API twins of the finance pages: rejecting a commune's bank details (motivated) and re-issuing a
returned transfer — thin calls to ``reject_bank_details`` / ``reissue_order``, same refusals."""

import pytest
from rest_framework.test import APIClient

from fonds.audit.models import AuditEvent
from fonds.payments.batches import build_batch
from fonds.payments.execution import mark_batch_sent, record_return
from fonds.payments.models import BankDetails, OrderKind, OrderState, PaymentOrder

from .conftest import BIC_OTHER, IBAN_OTHER, certified_bank, given_details, signed

pytestmark = pytest.mark.django_db
API = "/api/v1/payments"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def reject_url(cast, commune=None):
    return f"{API}/bank-details/{(commune or cast.commune).pk}/reject/"


def test_api_reject_bank_details_with_motivation_audited(cast):
    given_details(cast)
    r = client_for(cast.finance).post(
        reject_url(cast), {"motivation": "L'IBAN ne correspond pas au RIB."}, format="json"
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["is_rejected"] is True and body["is_certified"] is False
    assert body["rejection_reason"] == "L'IBAN ne correspond pas au RIB."
    event = AuditEvent.objects.get(action="bank_details_rejected")
    assert event.data["payload"]["motivation"] == "L'IBAN ne correspond pas au RIB."
    assert PaymentOrder.objects.get().state == OrderState.TO_CERTIFY
    again = client_for(cast.finance).post(reject_url(cast), {"motivation": "Encore."}, format="json")
    assert (
        again.status_code == 409
        and again.json()["code"] == "status"
        and "déjà rejetées" in again.json()["detail"]
    )


@pytest.mark.parametrize("body", [{}, {"motivation": ""}, {"motivation": "   "}])
def test_api_reject_bank_details_motivation_required(cast, body):
    given_details(cast)
    r = client_for(cast.finance).post(reject_url(cast), body, format="json")
    assert r.status_code == 400 and r.json()["code"] == "motivation" and "motivation" in r.json()["detail"]
    assert not BankDetails.objects.get().is_rejected
    assert not AuditEvent.objects.filter(action="bank_details_rejected").exists()


def test_api_reject_bank_details_refused_to_non_finance_and_auditor(cast):
    given_details(cast)
    for user in (cast.porteur, cast.instructeur, cast.auditeur):
        r = client_for(user).post(reject_url(cast), {"motivation": "Non."}, format="json")
        assert r.status_code == 403, (user, r.json())
    r = client_for(cast.other_porteur).post(reject_url(cast), {"motivation": "Non."}, format="json")
    assert r.status_code == 404
    assert not BankDetails.objects.get().is_rejected
    assert not AuditEvent.objects.filter(action="bank_details_rejected").exists()


def test_api_reject_bank_details_missing_or_certified(cast):
    finance = client_for(cast.finance)
    signed(cast)
    r = finance.post(reject_url(cast), {"motivation": "Non."}, format="json")
    assert r.status_code == 404 and "coordonnées bancaires" in r.json()["detail"]
    certified_bank(cast)
    r = finance.post(reject_url(cast), {"motivation": "Trop tard."}, format="json")
    assert r.status_code == 409 and "certifiées" in r.json()["detail"]


def _returned(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    record_return(batch, order, by=cast.finance, reason_code="AC01")
    return order


def test_api_reissue_refused_until_the_bank_details_are_corrected(cast):
    order = _returned(cast)
    url = f"{API}/orders/{order.pk}/reissue/"
    finance = client_for(cast.finance)
    r = finance.post(url, {}, format="json")
    assert (
        r.status_code == 400
        and "bank_details_unchanged" in r.json()["rules"]
        and "n'ont pas changé" in r.json()["detail"]
    )
    assert client_for(cast.auditeur).post(url, {}, format="json").status_code == 403
    assert client_for(cast.porteur).post(url, {}, format="json").status_code == 403
    order.refresh_from_db()
    assert order.state == OrderState.RETURNED
    certified_bank(cast, dossier=order.dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    r = finance.post(url, {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == OrderState.READY
    assert AuditEvent.objects.filter(action="payment_order_reissued").count() == 1
    assert finance.post(url, {}, format="json").status_code == 409


def test_openapi_schema_documents_the_bank_details_rejection(cast):
    schema = client_for(cast.finance).get("/api/v1/schema/", {"format": "json"}).json()
    op = schema["paths"]["/api/v1/payments/bank-details/{commune}/reject/"]["post"]
    assert op["operationId"] == "payments_bank_details_reject"
    assert {"200", "400", "403", "404", "409"} <= set(op["responses"])
    assert "motivation" in schema["components"]["schemas"]["MotivationBody"]["properties"]
