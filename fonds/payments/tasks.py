"""Payments — Celery tasks (idempotent: the notices are sent once per key, ``send_once``)."""

from __future__ import annotations

from celery import shared_task
from django.template.loader import render_to_string

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.depot.notices import send_once
from fonds.notifications.emails import text_as_html

from . import recovery
from .models import BankDetails, PaymentOrder


def _porteur_emails(commune_id) -> set[str]:
    return set(
        User.objects.filter(commune_id=commune_id, groups__name=Role.PORTEUR, is_active=True).values_list(
            "email", flat=True
        )
    )


def _send_each(task, recipients, key: str, template: str, context: dict, **email) -> int:
    """One email per address (notice key ``<key>-<address>``), in address order, from
    ``<template>_subject.txt`` and ``<template>.txt``; the task retries later when the mail server
    is down (``send_once`` never sends twice)."""
    email["subject"] = render_to_string(f"{template}_subject.txt", context).strip()
    email["body"] = render_to_string(f"{template}.txt", context)
    email["html"] = text_as_html(email["subject"], email["body"])
    sent = 0
    try:
        for to in sorted(r for r in recipients if r):
            sent += send_once(f"{key}-{to}", to=to, **email)
    except Exception as exc:
        raise task.retry(exc=exc) from exc
    return sent


@shared_task(name="fonds.payments.tasks.expire_recovery_answers")
def expire_recovery_answers() -> list[str]:
    """Beat (hourly): recoveries whose 15-day answer period ended become final (règlement deadline table)."""
    return recovery.expire_recovery_answers()


@shared_task(name="fonds.payments.tasks.notify_recovery", bind=True, max_retries=5, default_retry_delay=60)
def notify_recovery(self, order_id: int) -> int:
    """Email the recovery notice to the commune's porteurs (the mayor's account); once per recipient."""
    order = (
        PaymentOrder.objects.select_related("dossier", "dossier__commune", "dossier__created_by")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return 0
    dossier = order.dossier
    recipients = {dossier.created_by.email} if dossier.created_by_id and dossier.created_by.email else set()
    recipients |= _porteur_emails(dossier.commune_id)
    return _send_each(
        self,
        recipients,
        f"payments-recovery-{order.pk}",
        "payments/emails/recovery_notice",
        {"order": order, "dossier": dossier, "lines": order.breakdown},
        dossier=dossier,
        audit_action="recovery_notice_sent",
        audit_payload={"order": order.reference},
    )


@shared_task(
    name="fonds.payments.tasks.notify_bank_rejected", bind=True, max_retries=5, default_retry_delay=60
)
def notify_bank_rejected(self, bank_id: int, version: int) -> int:
    """Email the commune's porteurs that finance rejected its bank details (with the motivation).

    Idempotent: one email per recipient and per version of the details (``send_once``); nothing is
    sent when the details changed or were certified meanwhile (the rejection no longer stands).
    """
    bank = BankDetails.objects.select_related("commune").filter(pk=bank_id).first()
    if bank is None or bank.version != version or not bank.is_rejected:
        return 0
    recipients = _porteur_emails(bank.commune_id)
    return _send_each(
        self,
        recipients,
        f"payments-bank-rejected-{bank.pk}-v{version}",
        "payments/emails/bank_rejected",
        {"bank": bank, "commune": bank.commune},
        audit_action="bank_rejection_notice_sent",
        audit_payload={"commune": bank.commune_id, "version": version},
    )
