"""Builders for the payment tests: a cast, dossiers walked to the payment steps, bank details given
or certified, the bank-details form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from fonds import clock
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from fonds.payments.bank import certify_bank_details, set_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.execution import mark_batch_sent, record_execution
from fonds.payments.testing import travel_to_execution_date
from fonds.referentiel.siret import demo_siret
from fonds.suivi.services import planned_report, save_report_draft
from fonds.suivi.testing import SIGNED_LIST_PDF, acceptance_data, travel_after_project
from tests.factories import make_campaign, make_commune, make_dossier, make_user

S = Status
D = Decimal
IBAN_OK = "FR76 3000 6000 0112 3456 7890 189"
BIC_OK = "AGRIFRPP"
IBAN_OTHER = "FR7630004000031234567890143"
BIC_OTHER = "BNPAFRPP"


@dataclass
class Cast:
    campaign: object
    commune: object
    other_commune: object
    porteur: object
    other_porteur: object
    instructeur: object
    finance: object
    finance2: object
    auditeur: object


@pytest.fixture
def cast(db) -> Cast:
    commune = make_commune(population=850, name="Saint-Exemple-sur-Loire")
    other = make_commune(population=1200)
    return Cast(
        campaign=make_campaign(),
        commune=commune,
        other_commune=other,
        porteur=make_user("porteur", commune=commune),
        other_porteur=make_user("porteur", commune=other),
        instructeur=make_user("instructeur"),
        finance=make_user("finance"),
        finance2=make_user("finance"),
        auditeur=make_user("auditeur"),
    )


def at_status(dossier, status, **fields) -> Dossier:
    """Put a dossier in ``status`` (test setup only: real changes go through perform)."""
    Dossier.objects.filter(pk=dossier.pk).update(status=status, **fields)
    dossier.refresh_from_db()
    return dossier


def rib_of(dossier) -> Document:
    return dossier.documents.get(kind="rib")


def siret_of(commune) -> str:
    """A valid SIRET of the commune (its SIREN + a NIC that passes Luhn; test value)."""
    return demo_siret(commune.siren)


def bank_given(cast, dossier, *, iban=IBAN_OK, bic=BIC_OK, holder="Commune", **extra):
    """The bank details of ``dossier``'s commune as its porteur gives them with the dossier's RIB:
    not certified yet (``extra``: ``siret``)."""
    commune = dossier.commune
    porteur = cast.porteur if commune == cast.commune else cast.other_porteur
    return set_bank_details(
        commune, by=porteur, iban=iban, bic=bic, holder=holder, rib_document=rib_of(dossier), **extra
    )


def given_details(cast) -> Dossier:
    """A signed dossier whose commune gave its bank details (not certified)."""
    dossier = signed(cast)
    bank_given(cast, dossier)
    return dossier


def certified_bank(cast, commune=None, dossier=None, iban=IBAN_OK, bic=BIC_OK, siret=None):
    commune = commune or cast.commune
    dossier = dossier or Dossier.objects.filter(commune=commune).first()
    siret = siret_of(commune) if siret is None else siret
    bank_given(cast, dossier, iban=iban, bic=bic, holder=f"Commune de {commune.name}", siret=siret or None)
    return certify_bank_details(commune, by=cast.finance)


def bank_form(dossier, **over) -> dict:
    """What the porteur's bank-details form posts for ``dossier`` (valid unless ``over`` says
    otherwise)."""
    data = {
        "iban": IBAN_OK,
        "bic": BIC_OK,
        "holder": "Commune de Saint-Exemple",
        "siret": siret_of(dossier.commune),
        "rib_document": rib_of(dossier).pk,
    }
    data.update(over)
    return data


def signed(cast, *, commune=None, porteur=None, approved="5670.00", campaign=None):
    """A dossier approved then accepted by the mayor through ``perform`` (the advance order is created)."""
    commune = commune or cast.commune
    porteur = porteur or (cast.porteur if commune == cast.commune else cast.other_porteur)
    dossier = make_dossier(campaign=campaign or make_campaign(), commune=commune, porteur=porteur)
    at_status(
        dossier,
        S.APPROVED,
        approved_amount=D(approved),
        proposed_amount=D(approved),
        agreement_due=clock.now() + dt.timedelta(days=30),
    )
    perform(dossier, "accept_agreement", by=porteur, data=acceptance_data(dossier))
    return dossier


def report_submitted(cast, dossier, *, lines=None, youth_ages=None, leader_ages=None, porteur=None):
    """File and submit the final report (actual figures: the plan unless ``lines`` / ages are given),
    the day after the project's end (the clock moves there: a report is never filed before)."""
    porteur = porteur or cast.porteur
    travel_after_project(clock, dossier)
    fields, planned_lines = planned_report(dossier)
    fields["activity_report"] = "Le projet s'est déroulé comme prévu."
    if youth_ages is not None:
        fields["youth_ages"] = youth_ages
    if leader_ages is not None:
        fields["leader_ages"] = leader_ages
    save_report_draft(
        dossier,
        by=porteur,
        fields=fields,
        lines=lines if lines is not None else planned_lines,
        participant_list=("liste.pdf", SIGNED_LIST_PDF),
    )
    perform(dossier, "submit_report", by=porteur)
    dossier.refresh_from_db()
    return dossier


def pay_through_batch(cast, order, by=None):
    """Build a batch with ``order``, send it, record its execution on its requested execution date
    (the clock moves there: an execution is never recorded before)."""
    by = by or cast.finance
    result = build_batch(by=by, order_ids=[order.pk])
    mark_batch_sent(result.batch, by=by)
    travel_to_execution_date(clock, result.batch)
    record_execution(result.batch, by=by)
    order.refresh_from_db()
    return result.batch
