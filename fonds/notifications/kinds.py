"""The registry of notification kinds: who receives each, whether it may be switched off, how.

A kind is data: its code (stored on ``Notification.kind`` and ``Preference.kind``), its French
label (preferences page), its audience (``commune``: the porteurs of the dossier's commune;
``staff``: the people of a queue or the users given), whether it is a notice the fund owes the
commune (``mandatory``: always emailed at once, cannot be switched off), its default mode and the
modes a person may choose. ``email_by`` names the stage task that already emails this event with
its document (receipt, decision letter, deadline reminders, recovery notice): the notification
then only feeds « Mes notifications », the email leaving once through that task. Adding a kind:
docs/notifications.md.
"""

from __future__ import annotations

from dataclasses import dataclass

COMMUNE = "commune"
STAFF = "staff"

IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
MODES = {IMMEDIATE: "Immédiatement", DIGEST: "Dans le résumé quotidien", OFF: "Jamais"}
ALL_MODES = (IMMEDIATE, DIGEST, OFF)


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    audience: str
    subject: str  # ``str.format`` with ``reference``
    mandatory: bool = False
    default_mode: str = IMMEDIATE
    modes: tuple[str, ...] = ALL_MODES
    email_by: str = ""  # the stage task that emails it (with its document), if any


_KINDS = [
    # ---- the commune (the porteurs of the dossier's commune) --------------------------------
    Kind(
        "receipt",
        "Accusé de réception du dépôt",
        COMMUNE,
        "Dossier {reference} déposé",
        mandatory=True,
        email_by="fonds.depot.tasks.generate_receipt",
    ),
    Kind(
        "corrections_requested",
        "Corrections demandées",
        COMMUNE,
        "Corrections demandées — dossier {reference}",
        mandatory=True,
    ),
    Kind(
        "deadline_reminder",
        "Rappels d'échéance (corrections, convention, rapport final)",
        COMMUNE,
        "Rappel d'échéance — dossier {reference}",
        mandatory=True,
        email_by="fonds.suivi.tasks.send_deadline_email",
    ),
    Kind(
        "decision",
        "Décision du comité et sa lettre",
        COMMUNE,
        "Décision du comité — dossier {reference}",
        mandatory=True,
        email_by="fonds.comite.tasks.generate_decision_letter",
    ),
    Kind(
        "convention_to_accept",
        "Convention à accepter",
        COMMUNE,
        "Convention à accepter — dossier {reference}",
        mandatory=True,
    ),
    Kind("advance_paid", "Avance versée", COMMUNE, "Avance versée — dossier {reference}"),
    Kind(
        "report_due",
        "Rapport final attendu",
        COMMUNE,
        "Rapport final attendu — dossier {reference}",
        mandatory=True,
    ),
    Kind("balance_paid", "Solde versé", COMMUNE, "Solde versé — dossier {reference}"),
    Kind(
        "recovery_notice",
        "Demande de reversement",
        COMMUNE,
        "Demande de reversement — dossier {reference}",
        mandatory=True,
        email_by="fonds.payments.tasks.notify_recovery",
    ),
    Kind(
        "message_received_commune",
        "Nouveau message du fonds",
        COMMUNE,
        "Nouveau message — dossier {reference}",
    ),
    # ---- the fund's staff ----------------------------------------------------------------
    Kind(
        "queue_entered",
        "Un dossier arrive dans ma file",
        STAFF,
        "Dossier {reference} dans votre file",
        default_mode=DIGEST,
    ),
    Kind("correction_answered", "Corrections apportées par la commune", STAFF, "Dossier {reference} corrigé"),
    Kind(
        "message_received_staff",
        "Nouveau message d'une commune",
        STAFF,
        "Nouveau message — dossier {reference}",
    ),
    Kind("report_filed", "Rapport final déposé", STAFF, "Rapport final déposé — dossier {reference}"),
    Kind(
        "recovery_answered",
        "Réponse à une demande de reversement",
        STAFF,
        "Réponse au reversement — dossier {reference}",
    ),
    Kind(
        "waiting_too_long",
        "Dossier en attente depuis trop longtemps",
        STAFF,
        "Dossier {reference} en attente",
        default_mode=DIGEST,
        modes=(DIGEST, OFF),
    ),
]

KINDS: dict[str, Kind] = {kind.code: kind for kind in _KINDS}


def get(code: str) -> Kind:
    """The kind ``code`` (KeyError: an unknown kind is a programming error)."""
    return KINDS[code]


def for_audience(audience: str) -> list[Kind]:
    return [kind for kind in _KINDS if kind.audience == audience]
