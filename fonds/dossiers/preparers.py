"""The dossier's own preparers and after-hooks: correction requests, deadlines and amounts the
règlement sets on its transitions (the stages register theirs from their ``AppConfig.ready()``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from fonds import clock

from .editing import content_snapshot
from .hooks import after, batch_version, preparer
from .models import CorrectionRequest
from .transitions import TransitionRefused


def _correction_request(dossier, by, kwargs, motivation) -> CorrectionRequest:
    fields, documents = kwargs.get("fields", []), kwargs.get("documents", [])
    return CorrectionRequest(
        dossier=dossier,
        requested_by=by,
        message=motivation,
        fields=fields,
        documents=documents,
        deadline=kwargs["deadline"],
        snapshot=content_snapshot(dossier, fields=fields, documents=documents),
    )


@after("request_corrections")
def _record_correction_request(dossier, by, kwargs, motivation):
    _correction_request(dossier, by, kwargs, motivation).save()


@batch_version(_record_correction_request)
def _record_correction_requests(items, by, motivation):
    CorrectionRequest.objects.bulk_create(
        _correction_request(d, by, kwargs, motivation) for d, kwargs in items
    )


@after("resubmit")
def _answer_correction_request(dossier, by, kwargs, motivation):
    dossier.correction_requests.filter(answered_at__isnull=True).update(answered_at=clock.now())


def _money(value, field_name: str, *, allow_negative: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransitionRefused("condition", f"{field_name} : montant invalide.") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or (amount < 0 and not allow_negative):
        raise TransitionRefused(
            "condition",
            f"{field_name} : montant {'positif ' if not allow_negative else ''}"
            "avec au plus deux décimales attendu.",
        )
    return amount


@preparer("request_corrections")
def _prepare_corrections(dossier, by, data):
    days = dossier.rules.params["deadlines"]["corrections_days"]
    deadline = data.get("deadline")
    if deadline:
        if isinstance(deadline, str):
            try:
                deadline = dt.datetime.fromisoformat(deadline)
            except ValueError:
                raise TransitionRefused(
                    "condition", "deadline : date invalide (format AAAA-MM-JJ)."
                ) from None
        if isinstance(deadline, dt.date) and not isinstance(deadline, dt.datetime):
            deadline = dt.datetime.combine(deadline, dt.time(23, 59, 59))
        if timezone.is_naive(deadline):
            deadline = timezone.make_aware(deadline)
        if deadline <= clock.now():
            raise TransitionRefused("condition", "deadline : l'échéance doit être dans le futur.")
    else:
        deadline = clock.now() + dt.timedelta(days=days)
    return {
        "deadline": deadline,
        "fields": list(data.get("fields") or []),
        "documents": list(data.get("documents") or []),
    }


@preparer("complete_instruction")
def _prepare_complete(dossier, by, data):
    out = {}
    if data.get("opinion"):
        if data["opinion"] not in ("favourable", "unfavourable"):
            raise TransitionRefused("condition", "opinion : « favourable » ou « unfavourable » attendu.")
        out["opinion"] = data["opinion"]
    if data.get("proposed_amount") is not None:
        out["proposed_amount"] = _money(data["proposed_amount"], "proposed_amount")
    return out


def _agreement_due(dossier):
    return clock.now() + dt.timedelta(days=dossier.rules.params["deadlines"]["agreement_days"])


@preparer("approve")
@preparer("promote")
def _prepare_approve(dossier, by, data):
    amount = data.get("amount")
    amount = _money(amount, "amount") if amount is not None else dossier.proposed_amount
    if amount is None:
        raise TransitionRefused("condition", "Aucun montant proposé : indiquez le montant accordé.")
    return {"amount": amount, "agreement_due": _agreement_due(dossier)}


@preparer("pay_advance")
def _prepare_pay_advance(dossier, by, data):
    end = dossier.end_date or clock.today()
    months = dossier.rules.params["deadlines"]["report_months_after_end"]
    month = end.month - 1 + months
    year, month = end.year + month // 12, month % 12 + 1
    day = min(
        end.day,
        [
            31,
            29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][month - 1],
    )
    return {"report_due": dt.date(year, month, day)}


@preparer("settle")
def _prepare_settle(dossier, by, data):
    if data.get("balance") is None:
        raise TransitionRefused("condition", "balance : le solde calculé est requis pour solder le dossier.")
    return {"balance": _money(data["balance"], "balance", allow_negative=True)}
