"""The budget step: expense and income lines, their totals."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect

from fonds.dossiers.editing import update_content

from .. import budget_forms
from .common import errors_of, model_errors_into, refused_answer, saved_answer, step_page


def _line_initial(lines, kind) -> list[dict]:
    return [
        {"category": line.category, "label": line.label, "amount": line.amount, "eligible": line.eligible}
        for line in lines
        if line.kind == kind
    ]


def _line_key(line) -> tuple:
    get = line.get if isinstance(line, dict) else lambda name: getattr(line, name)
    return (
        get("kind"),
        get("category"),
        get("label") or "",
        Decimal(get("amount")).quantize(Decimal("0.01")),
        bool(get("eligible")) if get("kind") == "expense" else False,
    )


def budget_totals(lines) -> dict:
    exp = [line for line in lines if _kind(line) == "expense"]
    inc = [line for line in lines if _kind(line) == "income"]
    amount = lambda line: Decimal(line["amount"] if isinstance(line, dict) else line.amount)  # noqa: E731
    total = sum((amount(line) for line in exp), Decimal("0"))
    eligible = sum(
        (amount(line) for line in exp if (line["eligible"] if isinstance(line, dict) else line.eligible)),
        Decimal("0"),
    )
    income = sum((amount(line) for line in inc), Decimal("0"))
    own = sum((amount(line) for line in inc if _cat(line) == "own_share"), Decimal("0"))
    return {
        "expenses": total,
        "eligible": eligible,
        "income": income,
        "own_share": own,
        "own_share_pct": (own * 100 / total).quantize(Decimal("0.1")) if total else None,
    }


def _kind(line):
    return line["kind"] if isinstance(line, dict) else line.kind


def _cat(line):
    return line["category"] if isinstance(line, dict) else line.category


def budget_step(request, dossier, step):
    lines = list(dossier.budget_lines.all())
    if request.method == "POST":
        form = budget_forms.BudgetForm(request.POST, params=dossier.rules.params)
        expenses = budget_forms.ExpenseFormSet(request.POST, prefix="depenses")
        incomes = budget_forms.IncomeFormSet(request.POST, prefix="recettes")
        if form.is_valid() and expenses.is_valid() and incomes.is_valid():
            new_lines = expenses.lines() + incomes.lines()
            unchanged = sorted(map(_line_key, new_lines)) == sorted(map(_line_key, lines))
            try:
                update_content(
                    dossier,
                    by=request.user,
                    fields={"requested_amount": form.cleaned_data["requested_amount"]},
                    budget_lines=None if unchanged else new_lines,
                )
            except ValidationError as exc:
                model_errors_into(form, exc)
            except PermissionDenied:
                return refused_answer(request, [], lambda: redirect("dossier-detail", pk=dossier.pk))
            else:
                return saved_answer(request, dossier, step)
        errors = errors_of([form, *expenses.forms, *incomes.forms])
        for formset in (expenses, incomes):
            errors.extend({"id": "", "label": "", "message": e} for e in formset.non_form_errors())
        shown = [line for fs in (expenses, incomes) for line in _valid_lines(fs)]
        return refused_answer(
            request,
            errors,
            lambda: step_page(
                request,
                dossier,
                step,
                {
                    "form": form,
                    "expenses": expenses,
                    "incomes": incomes,
                    "error_summary": errors,
                    "totals": budget_totals(shown),
                },
            ),
        )
    extra = request.GET.get("ajout")
    expenses = budget_forms.ExpenseFormSet(initial=_line_initial(lines, "expense"), prefix="depenses")
    incomes = budget_forms.IncomeFormSet(initial=_line_initial(lines, "income"), prefix="recettes")
    if extra == "depenses":
        expenses.extra = 2
    elif extra == "recettes":
        incomes.extra = 2
    form = budget_forms.BudgetForm(
        initial={"requested_amount": dossier.requested_amount}, params=dossier.rules.params
    )
    return step_page(
        request,
        dossier,
        step,
        {"form": form, "expenses": expenses, "incomes": incomes, "totals": budget_totals(lines)},
    )


def _valid_lines(formset):
    out = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if (
            form.is_valid()
            and not data.get("empty")
            and not data.get("DELETE")
            and data.get("amount") is not None
        ):
            out.append(
                {
                    "kind": form.kind,
                    "category": data.get("category"),
                    "amount": data["amount"],
                    "eligible": bool(data.get("eligible")),
                }
            )
    return out
