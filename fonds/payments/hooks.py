"""The payment stage's hooks on dossier transitions (registered from PaymentsConfig.ready())."""
from __future__ import annotations

from fonds.dossiers import services
from fonds.suivi.models import FinalReport
from fonds.suivi.report_dates import refuse_on_dates

from .orders import create_advance_order


def create_advance(dossier, by, kwargs, motivation):
    """After ``accept_agreement``: the advance order (same transaction; idempotent)."""
    order = create_advance_order(dossier, by=by)
    kwargs["advance_order"] = order.reference if order is not None else None


def check_balance_dates(dossier, by, data):
    """``settle`` (order 60, after the balance is read): the balance, like the final report's
    acceptance, never before the project's end (``fonds.suivi.report_dates``: 409 ``too_early``)."""
    refuse_on_dates(dossier, FinalReport.objects.filter(dossier=dossier).first(), done="validé")
    return {}


def register() -> None:
    services.after("accept_agreement", order=60)(create_advance)
    services.preparer("settle", order=60)(check_balance_dates)
