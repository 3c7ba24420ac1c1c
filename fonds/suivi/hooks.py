"""Preparers and after-hooks of the transitions the front office drives after submission.

``accept_agreement`` needs the mayor's name and the hash of the current convention;
``submit_report`` is refused before the project's end or while the report is incomplete, records
its hash and balance, then freezes it; ``approve`` / ``promote`` queue the convention;
``renounce`` queues the acknowledgement email. Registered from ``SuiviConfig.ready()``.
"""

from __future__ import annotations

from fonds import clock
from fonds.dossiers import services
from fonds.dossiers.services import TransitionRefused
from fonds.ops import outbox

from .balance import balance_for_report
from .convention import current_convention
from .models import FinalReport
from .report_dates import refuse_on_dates
from .services import report_missing, report_sha256

MAX_NAME = 150


# ---- the convention ----------------------------------------------------------------------------


def prepare_accept_agreement(dossier, by, data):
    name = " ".join(str(data.get("signatory_name") or "").split())
    given = str(data.get("document_sha256") or "").strip().lower()
    if len(name) < 3 or len(name) > MAX_NAME:
        raise TransitionRefused(
            "condition",
            "Indiquez vos prénom et nom en toutes lettres pour accepter la convention au nom de la commune.",
            rules=["signatory_name"],
        )
    if dossier.agreement_due is not None and dossier.agreement_due < clock.now():
        raise TransitionRefused(
            "condition",
            "Le délai d'acceptation de la convention est expiré : l'attribution de la subvention est "
            "caduque.",
            rules=["agreement_deadline"],
        )
    document = current_convention(dossier)
    if document is None:
        raise TransitionRefused(
            "condition",
            "La convention n'est pas encore établie : ouvrez la page de la convention, lisez-la, puis "
            "acceptez-la.",
            rules=["convention_missing"],
        )
    if given != document.sha256:
        raise TransitionRefused(
            "condition",
            "La convention a changé depuis que vous l'avez ouverte : relisez la version en vigueur "
            "puis acceptez-la à nouveau.",
            rules=["convention_changed"],
        )
    return {
        "signatory_name": name,
        "document_sha256": document.sha256,
        "convention": document.pk,
        "convention_key": document.key,
        "accepted_at": clock.now(),
    }


def queue_convention(dossier, by, kwargs, motivation):
    outbox.enqueue("fonds.suivi.tasks.generate_convention", dossier.pk)


def queue_renunciation_ack(dossier, by, kwargs, motivation):
    outbox.enqueue("fonds.suivi.tasks.send_renunciation_ack", dossier.pk)


# ---- the final report ------------------------------------------------------------------------


def check_report_dates(dossier, by, data):
    """``submit_report`` (order 20, before the completeness check): not before the project's end."""
    refuse_on_dates(dossier, FinalReport.objects.filter(dossier=dossier).first(), done="déposé")
    return {}


def prepare_submit_report(dossier, by, data):
    report = FinalReport.objects.select_for_update().filter(dossier=dossier).first()
    missing = report_missing(report)
    if missing:
        raise TransitionRefused(
            "condition",
            "Le rapport final est incomplet : il manque " + " ; ".join(missing) + ".",
            rules=["report_incomplete"],
        )
    lines = list(report.lines.all())
    balance = balance_for_report(report, dossier)
    return {
        "report": report.pk,
        "report_sha256": report_sha256(report, lines),
        "balance": balance.balance,
        "final_grant": balance.final_grant,
        "advance": balance.advance,
        "balance_breakdown": balance.as_dict(),
    }


def freeze_report(dossier, by, kwargs, motivation):
    FinalReport.objects.filter(dossier=dossier, submitted_at__isnull=True).update(submitted_at=clock.now())


def register() -> None:
    """Register the hooks of this module (idempotent)."""
    services.preparer("accept_agreement")(prepare_accept_agreement)
    services.preparer("submit_report", order=20)(check_report_dates)
    services.preparer("submit_report")(prepare_submit_report)
    services.after("approve")(queue_convention)
    services.after("promote")(queue_convention)
    services.after("submit_report")(freeze_report)
    services.after("renounce")(queue_renunciation_ack)
