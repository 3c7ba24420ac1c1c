"""The balance (solde) of a grant from the final report's actual figures — a pure function.

final grant = min(approved amount, ``compute_grant`` on the actual figures); advance = the amount
paid (or ``advance_pct`` % of the approved amount); balance = final grant − advance. A negative
balance is an overpayment: a recovery order follows. The award floor is not applied (the committee
already awarded the grant). All ``Decimal``, every number from the rules' ``params``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from fonds.dossiers.states import Status
from fonds.formats import dec, euros, pct
from fonds.instruction.amount import GrantBreakdown, compute_grant, dossier_distance_km, group_figures

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass
class BalanceBreakdown:
    recomputed: GrantBreakdown  # the formula on the actual figures (no requested amount)
    formula_amount: Decimal  # recomputed.amount: after the fund cap and the eligible-costs limit
    approved: Decimal
    final_grant: Decimal  # min(formula_amount, approved)
    capped_by_approved: bool
    advance_pct: Decimal
    advance_paid: bool
    advance: Decimal
    balance: Decimal
    recovery: bool  # balance < 0: a recovery order will follow
    recovery_answer_days: int
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-safe (Decimals as strings) — for the audit payload."""
        return {
            "formula_amount": str(self.formula_amount),
            "formula_total": str(self.recomputed.formula_total),
            "travel": str(self.recomputed.travel),
            "stay": str(self.recomputed.stay),
            "organisation": str(self.recomputed.organisation),
            "eligible_costs": str(self.recomputed.eligible_costs),
            "eligible_limit": str(self.recomputed.eligible_limit),
            "approved": str(self.approved),
            "final_grant": str(self.final_grant),
            "advance_pct": str(self.advance_pct),
            "advance": str(self.advance),
            "balance": str(self.balance),
            "recovery": self.recovery,
        }


def advance_amount(approved, advance_pct) -> Decimal:
    """``approved × advance_pct %``, rounded down to the cent (never more than the entitlement)."""
    return (dec(approved) * dec(advance_pct) / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)


def compute_balance(
    *, approved, params: dict, advance_paid: bool = True, advance=None, **actual
) -> BalanceBreakdown:
    """The balance of a grant of ``approved`` euros on the ``actual`` figures, given as
    ``compute_grant`` takes them (distance_km, low_carbon, youth, leaders, nights, nights_hosted,
    eligible_costs)."""
    approved = dec(approved)
    recomputed = compute_grant(**actual, requested=None, params=params)
    formula_amount = recomputed.amount.quantize(CENT)
    final_grant = min(formula_amount, approved).quantize(CENT)
    capped = approved < formula_amount
    advance_pct = dec(params["payment"]["advance_pct"])
    if not advance_paid:
        advance = ZERO
    elif advance is None:
        advance = advance_amount(approved, advance_pct)
    else:
        advance = dec(advance)
    balance = (final_grant - advance).quantize(CENT)
    answer_days = int(params["deadlines"]["recovery_answer_days"])

    lines = ["Subvention recalculée sur les chiffres réels (même formule qu'à l'attribution) :"]
    lines += [line for line in recomputed.lines if not line.startswith("Montant retenu")]
    lines.append(f"Montant donné par la formule sur les chiffres réels : {euros(formula_amount)}.")
    lines.append(f"Montant accordé par le comité : {euros(approved)}.")
    if capped:
        lines.append(
            "La formule donne plus que le montant accordé : la subvention définitive est plafonnée au "
            "montant accordé."
        )
    elif final_grant < approved:
        lines.append(
            "La formule sur les chiffres réels donne moins que le montant accordé : la subvention "
            "définitive est ramenée à ce montant."
        )
    lines.append(f"Subvention définitive : {euros(final_grant)}.")
    if advance_paid:
        lines.append(f"Avance versée : {pct(advance_pct)} du montant accordé = {euros(advance)}.")
    else:
        lines.append("Aucune avance versée.")
    lines.append(f"Solde : {euros(final_grant)} − {euros(advance)} = {euros(balance)}.")
    if balance < 0:
        lines.append(
            f"Le solde est négatif : la commune a reçu {euros(-balance)} de trop. Un ordre de "
            "reversement sera émis "
            f"après une procédure contradictoire : le maire en est informé et dispose de {answer_days} "
            "jours pour répondre."
        )
    elif balance == 0:
        lines.append("Le solde est nul : aucun versement complémentaire ni reversement.")
    else:
        lines.append(
            f"Le solde de {euros(balance)} sera versé à la commune après validation du rapport final."
        )

    return BalanceBreakdown(
        recomputed=recomputed,
        formula_amount=formula_amount,
        approved=approved,
        final_grant=final_grant,
        capped_by_approved=capped,
        advance_pct=advance_pct,
        advance_paid=advance_paid,
        advance=advance,
        balance=balance,
        recovery=balance < 0,
        recovery_answer_days=answer_days,
        lines=lines,
    )


def actual_figures(report) -> dict:
    """Totals of a report's lines (prefetched ``lines`` used when present)."""
    total = eligible = income = ZERO
    for line in report.lines.all():
        amount = dec(line.amount)
        if line.kind == "expense":
            total += amount
            if line.eligible:
                eligible += amount
        else:
            income += amount
    return {"total_expenses": total, "eligible_costs": eligible, "total_income": income}


def balance_for_report(report, dossier=None, params: dict | None = None, *, advance=None) -> BalanceBreakdown:
    """The balance of ``dossier``'s grant on ``report``'s figures (the campaign's current rules).
    ``advance``: the amount actually paid, when the caller knows it (else read from the status)."""

    dossier = dossier or report.dossier
    params = params if params is not None else dossier.rules.params
    distance, _source = dossier_distance_km(dossier)
    if advance is not None:
        paid = advance > 0
    else:
        paid = dossier.status in (
            Status.ADVANCE_PAID,
            Status.REPORT_SUBMITTED,
            Status.RECOVERY_PENDING,
            Status.CLOSED,
        )
    return compute_balance(
        approved=dossier.approved_amount or ZERO,
        distance_km=distance,
        low_carbon=dossier.low_carbon,
        **group_figures(report),
        eligible_costs=actual_figures(report)["eligible_costs"],
        params=params,
        advance_paid=paid,
        advance=advance,
    )
