"""Payment pages (DSFR, French): thin views over ``services`` (changes) and ``queries`` (reads).

Back office (``_finance``): finance staff read and act; administrators and auditors read only
(a POST is a 403 "Lecture seule"); everybody else — porteurs, instructors, committee members —
gets the 403 page before anything is looked up, so the answer discloses nothing.

Front office (``_porteur_dossier``): a porteur of the dossier's commune; a dossier of another
commune is a 404 (``fonds.dossiers.access``), a member of staff a 403.

Every irreversible step has its confirmation page; a refused operation shows the service's French
message and re-renders the form with what was typed.
"""
from __future__ import annotations


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fonds.accounts.roles import Role, roles_of
from fonds.audit.models import AuditEvent
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.formats import euros
from fonds.suivi.report_dates import TOO_EARLY, report_date_refusal
from fonds.web import pagination
from fonds.web.areas import role_area

from . import queries, services
from .forms import BankDetailsForm, BuildBatchForm, ConfirmForm, MotivatedForm, RecoveryAnswerForm, ReturnForm
from .models import BankDetails, Batch, BatchState, ItemOutcome, OrderKind, OrderState, PaymentOrder, Settlement
from fonds import clock

READ_ROLES = frozenset({Role.FINANCE, Role.ADMIN, Role.AUDITEUR})
WRITE_ROLES = frozenset({Role.FINANCE})
O = OrderState


PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: lists count their rows up to this number, then say "more than"
COUNT_CAP = 10_000
MAX_PAGE = 10_000


class Page(pagination.Page):
    """The finance lists' pages (``fonds.web.pagination``); their querysets carry what the rows
    display (``select_related``)."""

    sizes = PAGE_SIZES
    default_size = DEFAULT_PAGE_SIZE
    count_cap = COUNT_CAP
    max_page = MAX_PAGE


def _status_of(refused) -> int:
    """The page's HTTP status for a refusal: the API's (409 for a state conflict or a date not come)."""
    return refused.http_status


#: finance staff; administrators and auditors for GET/HEAD only; otherwise a 403 page
_finance = role_area(read=READ_ROLES, write=WRITE_ROLES, template="payments/forbidden.html",
                     flags={"can_pay": lambda roles: bool(roles & WRITE_ROLES)})


def _posted(request):
    """The submitted data of a POST (even empty: an empty form must show its errors), else None."""
    return request.POST if request.method == "POST" else None


def _render(request, template, context, status=200):
    context.setdefault("nav", "payments")
    return render(request, template, context, status=status)


def _querystring(params, drop=("page",)) -> str:
    qd = params.copy()
    for key in drop:
        qd.pop(key, None)
    return qd.urlencode()


def _events(obj_type: str, pk) -> list:
    return list(AuditEvent.objects.filter(object_type=obj_type, object_id=str(pk)).order_by("seq"))


# ---- orders -------------------------------------------------------------------------------------

@_finance
@require_GET
def orders(request):
    qs, form = queries.filter_orders(request.GET)
    page = Page(queries.order_rows(qs), request.GET)
    querystring = _querystring(request.GET)
    summary = queries.selection_summary(qs) if form.is_valid() else {"count": 0, "total": 0, "ready_count": 0, "ready_total": 0}
    return _render(request, "payments/orders.html", {
        "title": "Ordres de paiement", "section": "orders", "form": form, "page": page, "summary": summary,
        "page_links": page.links(querystring), "neighbours": page.neighbour_urls(querystring), "page_sizes": PAGE_SIZES,
        "querystring": _querystring(request.GET, drop=("page", "taille")), "selection": _querystring(request.GET, drop=("page", "taille")),
    }, status=200 if form.is_valid() else 400)


#: order actions: FSM method (availability and labels) → how the page calls the service
ORDER_ACTIONS = {
    "cancel": {"method": "cancel", "motivation": True, "confirm": "Je confirme l'annulation définitive de cet ordre"},
    "reissue": {"method": "reissue", "motivation": False, "confirm": "Je confirme la réémission de ce virement (il redevient prêt à payer)"},
    "make_final": {"method": "make_final", "motivation": False, "confirm": "Je confirme que ce reversement devient exigible"},
    "record_recovered": {"method": "record_recovered", "motivation": False, "confirm": "Je confirme avoir reçu ce reversement de la commune"},
    "write_off": {"method": "write_off", "motivation": True, "confirm": "Je confirme l'admission en non-valeur (la créance est abandonnée)"},
}


def _call(name: str, order, by, motivation: str):
    if name == "cancel":
        return services.cancel_order(order, by=by, motivation=motivation)
    if name == "reissue":
        return services.reissue_order(order, by=by)
    if name == "make_final":
        return services.make_recovery_final(order, by=by, motivation=motivation)
    if name == "record_recovered":
        return services.record_recovery_received(order, by=by)
    if name == "write_off":
        return services.write_off_recovery(order, by=by, motivation=motivation)
    raise Http404("Action inconnue.")


def _action_label(name: str) -> str:
    """The French label of an order action, from the model's transition metadata."""
    transitions = getattr(PaymentOrder, ORDER_ACTIONS[name]["method"])._django_fsm.transitions
    return next((t.custom.get("label") for t in transitions.values() if t.custom), name)


def _order_actions(order) -> list[dict]:
    """The actions the order's state allows now; « make final » only once the contradictory step is
    over (the mayor answered or the answer period ended: ``services.recovery_may_be_final``)."""
    from django_fsm import can_proceed

    return [
        {"name": name, "label": _action_label(name), "destructive": name in ("cancel", "write_off")}
        for name, spec in ORDER_ACTIONS.items()
        if can_proceed(getattr(order, spec["method"])) and (name != "make_final" or services.recovery_may_be_final(order))
    ]


def _final_pending(order) -> str:
    """For a recovery whose contradictory step is not over: when it can be made final (French), else ""."""
    if order.kind == OrderKind.RECOVERY and order.state == O.CONTRADICTORY and not services.recovery_may_be_final(order):
        return services.recovery_too_early_message(order)
    return ""


def _order(pk) -> PaymentOrder:
    return get_object_or_404(PaymentOrder.objects.select_related("dossier", "dossier__commune", "dossier__campaign", "created_by", "answered_by"), pk=pk)


@_finance
@require_GET
def order_page(request, pk):
    order = _order(pk)
    items = list(order.batch_items.select_related("batch").order_by("pk"))
    bank = services.bank_details_for(order.dossier.commune_id)
    return _render(request, "payments/order.html", {
        "title": f"Ordre {order.reference}", "section": "orders", "order": order, "items": items, "bank": bank,
        "actions": _order_actions(order) if request.can_pay else [], "events": _events("payments.paymentorder", order.pk),
        "final_pending": _final_pending(order),
        "reasons": services.RETURN_REASONS, "settlement": Settlement.objects.filter(dossier_id=order.dossier_id).first(),
    })


@_finance
@require_http_methods(["GET", "POST"])
def order_action(request, pk, name):
    if name not in ORDER_ACTIONS:
        raise Http404("Action inconnue.")
    order = _order(pk)
    spec = ORDER_ACTIONS[name]
    available = {a["name"]: a for a in _order_actions(order)}
    label = _action_label(name)
    form = MotivatedForm(_posted(request), needs_motivation=spec["motivation"], label=spec["confirm"])
    status = 200
    if name == "make_final" and _final_pending(order):
        messages.error(request, _final_pending(order))
        status = 409
    elif name not in available:
        messages.error(request, f"« {label} » n'est pas possible : l'ordre {order.reference} est « {order.get_state_display()} ».")
        status = 409
    elif request.method == "POST":
        if not request.can_pay:
            return render(request, "payments/forbidden.html", {"title": "Lecture seule", "read_only": True}, status=403)
        if form.is_valid():
            try:
                _call(name, order, request.user, form.cleaned_data["motivation"])
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                order.refresh_from_db()
                messages.success(request, f"« {label} » : c'est fait. L'ordre {order.reference} est désormais « {order.get_state_display()} ».")
                return redirect("payments:order", pk=order.pk)
        else:
            status = 400
    bank = services.bank_details_for(order.dossier.commune_id) if name == "reissue" else None
    return _render(request, "payments/order_action.html", {
        "title": f"{label} — {order.reference}", "section": "orders", "order": order, "name": name, "label": label,
        "form": form, "allowed": name in available and request.can_pay, "bank": bank,
    }, status=status)


# ---- batches ------------------------------------------------------------------------------------

@_finance
@require_http_methods(["GET", "POST"])
def build_batch(request):
    """Confirmation of a batch built from the WHOLE filtered selection of the orders list (its
    batchable part: ready outgoing orders of communes with certified bank details)."""
    source = request.POST if request.method == "POST" else request.GET
    querystring = source.get("selection", "")
    qs, filter_form = queries.filter_orders(QueryDict(querystring))
    summary = queries.selection_summary(qs)
    confirming = request.method == "POST"
    initial = {"execution_date": services.next_business_day(clock.today()), "expected_count": summary["ready_count"], "expected_total": summary["ready_total"]}
    form = BuildBatchForm(request.POST if confirming else None, initial=initial)
    status = 200
    changed = False
    if confirming:
        if not request.can_pay:
            return render(request, "payments/forbidden.html", {"title": "Lecture seule", "read_only": True}, status=403)
        if form.is_valid():
            if (form.cleaned_data["expected_count"], form.cleaned_data["expected_total"]) != (summary["ready_count"], summary["ready_total"]):
                changed = True
                status = 409
                form = BuildBatchForm(initial={**initial, "execution_date": form.cleaned_data["execution_date"]})
                messages.warning(request, "La sélection a changé depuis l'affichage de cette page : vérifiez le nombre d'ordres et le total, puis confirmez à nouveau.")
            else:
                ids = queries.selection_ids(qs)
                try:
                    result = services.build_batch(by=request.user, order_ids=ids, execution_date=form.cleaned_data["execution_date"])
                except services.PaymentRefused as refused:
                    form.add_error(None, refused.message)
                    status = _status_of(refused)
                else:
                    batch = result.batch
                    messages.success(request, f"Lot {batch.reference} constitué : {batch.count} virement{'s' if batch.count > 1 else ''}, {euros(batch.total)}. Le fichier SEPA est validé et prêt au téléchargement.")
                    if result.excluded:
                        messages.warning(request, f"{len(result.excluded)} ordre(s) de la sélection n'ont pas été pris (pris par un autre lot entre-temps, ou coordonnées non certifiées).")
                    return redirect("payments:batch", pk=batch.pk)
        else:
            status = 400
    return _render(request, "payments/build_batch.html", {
        "title": "Constituer un lot de virements", "section": "batches", "form": form, "filter_form": filter_form,
        "summary": summary, "selection": querystring, "changed": changed,
        "list_url": reverse("payments:orders") + (f"?{querystring}" if querystring else ""),
    }, status=status)


@_finance
@require_GET
def batches(request):
    page = Page(queries.batch_list(), request.GET)
    querystring = _querystring(request.GET)
    return _render(request, "payments/batches.html", {
        "title": "Lots de virements", "section": "batches", "page": page,
        "page_links": page.links(querystring), "neighbours": page.neighbour_urls(querystring),
    })


def _batch(pk) -> Batch:
    return get_object_or_404(Batch.objects.select_related("created_by", "sent_by"), pk=pk)


#: the execution confirmation lists this many pending transfers, then "… and N more"
PENDING_SHOWN = 100


def _pending(batch) -> dict:
    """Count and total of the batch's transfers still awaiting the bank (one aggregate query)."""
    if batch.state != BatchState.SENT:
        return {"count": 0, "total": 0}
    agg = batch.items.filter(outcome=ItemOutcome.PENDING).aggregate(count=Count("pk"), total=Sum("amount"))
    return {"count": agg["count"] or 0, "total": agg["total"] or 0}


def _batch_context(request, batch, *, return_form=None) -> dict:
    """The batch page: its transfers a page at a time (a batch may hold thousands)."""
    page = Page(queries.batch_items(batch), request.GET, default_size=100)
    querystring = _querystring(request.GET)
    pending = _pending(batch)
    # a return may arrive after the execution was recorded (the paid transfer is then returned)
    late_returns = batch.state == BatchState.EXECUTED
    if return_form is None and (pending["count"] or late_returns) and request.can_pay:
        return_form = ReturnForm(reasons=services.RETURN_REASONS)
    return {
        "title": f"Lot {batch.reference}", "section": "batches", "batch": batch, "items": page, "page": page,
        "page_links": page.links(querystring), "neighbours": page.neighbour_urls(querystring), "late_returns": late_returns,
        "pending_count": pending["count"], "return_form": return_form if pending["count"] or late_returns or return_form is not None else None,
        "events": _events("payments.batch", batch.pk), "reasons": services.RETURN_REASONS,
        "execution_too_early": services.execution_too_early(batch) if batch.state == BatchState.SENT else "",
    }


@_finance
@require_GET
def batch_page(request, pk):
    return _render(request, "payments/batch.html", _batch_context(request, _batch(pk)))


@_finance
@require_GET
def batch_file(request, pk):
    """The validated SEPA file, byte-identical on every download (its SHA-256 is on the page)."""
    batch = _batch(pk)
    try:
        data = services.export_batch(batch, by=request.user)
    except services.PaymentRefused as refused:
        messages.error(request, refused.message)
        return redirect("payments:batch", pk=batch.pk)
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{services.batch_file_name(batch)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


BATCH_ACTIONS = {
    "transmis": {"state": BatchState.READY, "title": "Enregistrer la transmission à la banque", "confirm": "Je confirme avoir transmis ce fichier à la banque", "button": "Enregistrer la transmission"},
    "annuler": {"state": BatchState.READY, "title": "Annuler le lot", "confirm": "Je confirme l'annulation du lot (ses ordres redeviennent prêts à payer)", "button": "Annuler le lot"},
    "execution": {"state": BatchState.SENT, "title": "Enregistrer l'exécution du lot", "confirm": "Je confirme que la banque a exécuté tous les virements en attente de ce lot", "button": "Enregistrer l'exécution"},
}


@_finance
@require_http_methods(["GET", "POST"])
def batch_action(request, pk, name):
    if name not in BATCH_ACTIONS:
        raise Http404("Action inconnue.")
    spec = BATCH_ACTIONS[name]
    batch = _batch(pk)
    too_early = services.execution_too_early(batch) if name == "execution" else ""
    allowed = batch.state == spec["state"] and not too_early
    pending = _pending(batch)
    form = ConfirmForm(_posted(request), label=spec["confirm"])
    status = 200 if allowed else 409
    if batch.state != spec["state"]:
        messages.error(request, f"« {spec['title']} » n'est pas possible : le lot {batch.reference} est « {batch.get_state_display()} ».")
    elif too_early:
        messages.error(request, too_early)
    elif request.method == "POST":
        if not request.can_pay:
            return render(request, "payments/forbidden.html", {"title": "Lecture seule", "read_only": True}, status=403)
        if form.is_valid():
            call = {"transmis": services.mark_batch_sent, "annuler": services.cancel_batch, "execution": services.record_execution}[name]
            try:
                call(batch, by=request.user)
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                batch.refresh_from_db()
                messages.success(request, f"{spec['title']} : c'est fait. Le lot {batch.reference} est désormais « {batch.get_state_display()} ».")
                return redirect("payments:batch", pk=batch.pk)
        else:
            status = 400
    return _render(request, "payments/batch_action.html", {
        "title": f"{spec['title']} — {batch.reference}", "section": "batches", "batch": batch, "name": name, "spec": spec,
        "form": form, "allowed": allowed and request.can_pay, "pending": pending,
        "pending_items": list(batch.items.filter(outcome=ItemOutcome.PENDING).order_by("position")[:PENDING_SHOWN]) if pending["count"] else [],
        "pending_more": max(0, pending["count"] - PENDING_SHOWN),
    }, status=status)


@_finance
@require_POST
def batch_return(request, pk):
    """One transfer returned by the bank: its end-to-end id (the order's reference, as in the
    bank's return) and the ISO reason code. The service refuses an order not in this batch."""
    batch = _batch(pk)
    form = ReturnForm(request.POST, reasons=services.RETURN_REASONS)
    status = 400
    if form.is_valid():
        reference = form.cleaned_data["end_to_end_id"]
        item = batch.items.filter(end_to_end_id=reference).only("order_id").first()
        order_id = item.order_id if item else PaymentOrder.objects.filter(reference=reference).values_list("pk", flat=True).first()
        if order_id is None:
            form.add_error("end_to_end_id", f"Aucun ordre de paiement ne porte la référence « {reference} » : recopiez l'identifiant de bout en bout indiqué par la banque.")
        else:
            try:
                order = services.record_return(batch, order_id, by=request.user, reason_code=form.cleaned_data["reason_code"])
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                messages.success(request, f"Rejet enregistré pour l'ordre {order.reference} (motif {order.return_code}). Il pourra être réémis une fois les coordonnées bancaires de la commune corrigées et certifiées.")
                return redirect(reverse("payments:batch", args=[batch.pk]) + "#virements")
    return _render(request, "payments/batch.html", _batch_context(request, batch, return_form=form), status=status)


# ---- bank details (finance) ---------------------------------------------------------------------

@_finance
@require_GET
def bank_list(request):
    rows = list(queries.bank_details_to_certify()[:200])
    return _render(request, "payments/bank_list.html", {"title": "Coordonnées bancaires à certifier", "section": "bank", "rows": rows})


def _bank(code) -> BankDetails:
    return get_object_or_404(BankDetails.objects.select_related("commune", "rib_document", "rib_document__dossier", "updated_by", "certified_by"), commune_id=code)


@_finance
@require_http_methods(["GET", "POST"])
def bank_page(request, code):
    bank = _bank(code)
    form = ConfirmForm(_posted(request), label="J'ai comparé l'IBAN, le BIC et le titulaire au RIB affiché : ils sont identiques")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.certify_bank_details(bank.commune_id, by=request.user)
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                messages.success(request, f"Coordonnées bancaires de {bank.commune.name} certifiées. Les ordres en attente de certification sont prêts à payer.")
                return redirect("payments:bank", code=bank.commune_id)
        else:
            status = 400
    orders_ = list(queries.commune_orders(bank.commune_id)[:100])
    return _render(request, "payments/bank.html", {
        "title": f"Coordonnées bancaires — {bank.commune.name}", "section": "bank", "bank": bank, "form": form, "orders": orders_,
        "events": _events("payments.bankdetails", bank.pk), "iban_grouped": " ".join(bank.iban[i:i + 4] for i in range(0, len(bank.iban), 4)),
        "siret_grouped": f"{bank.siret[:9]} {bank.siret[9:]}" if bank.siret else "",
    }, status=status)


@_finance
@require_http_methods(["GET", "POST"])
def bank_reject(request, code):
    """Finance rejects the commune's bank details (they do not match the RIB): motivation required;
    the porteur sees it on the bank-details page and is emailed."""
    bank = _bank(code)
    allowed = not bank.is_certified and bank.rejected_at is None
    form = MotivatedForm(_posted(request), needs_motivation=True, label="Je confirme le rejet de ces coordonnées bancaires (la commune devra les corriger)")
    status = 200 if allowed else 409
    if not allowed:
        messages.error(request, "Ces coordonnées bancaires ne peuvent pas être rejetées : " + ("elles sont certifiées." if bank.is_certified else "elles sont déjà rejetées, la commune doit les corriger."))
    elif request.method == "POST":
        if form.is_valid():
            try:
                services.reject_bank_details(bank.commune_id, by=request.user, motivation=form.cleaned_data["motivation"])
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                messages.success(request, f"Coordonnées bancaires de {bank.commune.name} rejetées. La commune est informée du motif par courriel et sur sa page.")
                return redirect("payments:bank", code=bank.commune_id)
        else:
            status = 400
    return _render(request, "payments/bank_reject.html", {
        "title": f"Rejeter les coordonnées bancaires — {bank.commune.name}", "section": "bank", "bank": bank, "form": form,
        "allowed": allowed and request.can_pay,
    }, status=status)


INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


@_finance
@require_GET
@xframe_options_sameorigin
def bank_rib(request, code):
    """The RIB the details were read from, inline for the certification page (finance, admin and
    auditors only; framable by this site only; never cached)."""
    bank = _bank(code)
    document = bank.rib_document
    if document is None or document.content_type not in INLINE_TYPES:
        raise Http404("RIB introuvable.")
    response = FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=False, filename=document.file.name.rsplit("/", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "frame-ancestors 'self'; script-src 'none'; object-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


# ---- final reports and recoveries (finance) ----------------------------------------------------

@_finance
@require_GET
def reports(request):
    page = Page(queries.reports_to_accept(), request.GET)
    querystring = _querystring(request.GET)
    recoveries = list(queries.open_recoveries()[:200])
    return _render(request, "payments/reports.html", {
        "title": "Rapports finals et reversements", "section": "reports", "page": page, "recoveries": recoveries, "now": clock.now(),
        "page_links": page.links(querystring), "neighbours": page.neighbour_urls(querystring),
    })


@_finance
@require_http_methods(["GET", "POST"])
def report_accept(request, pk):
    from fonds.dossiers.states import Status
    from fonds.suivi.models import FinalReport

    dossier = get_visible_or_404(request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign"))
    report = FinalReport.objects.prefetch_related("lines").filter(dossier=dossier, submitted_at__isnull=False).first()
    settlement = Settlement.objects.filter(dossier=dossier).first()
    if report is None:
        raise Http404("Aucun rapport final déposé pour ce dossier.")
    allowed = dossier.status == Status.REPORT_SUBMITTED and settlement is None
    date_refusal = report_date_refusal(dossier, report, done="validé") if allowed else None
    balance = services.dossier_balance(dossier, report) if settlement is None else None
    form = ConfirmForm(_posted(request), label="J'ai vérifié le rapport final et le calcul du solde : je valide le rapport")
    status = 200
    if request.method == "POST" and not allowed:
        form.add_error(None, "Ce rapport final ne peut pas être validé : " + ("il est déjà validé." if settlement else f"le dossier est « {dossier.get_status_display()} »."))
        status = 409
    elif request.method == "POST" and date_refusal is not None:
        form.add_error(None, date_refusal.message)  # not before the project's end (the service refuses too)
        status = 409 if date_refusal.kind == TOO_EARLY else 400
    elif request.method == "POST":
        if form.is_valid():
            try:
                settlement = services.accept_final_report(dossier, request.user)
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                if settlement.balance > 0:
                    text = f"un ordre de paiement du solde de {euros(settlement.balance)} est créé."
                elif settlement.balance == 0:
                    text = "le solde est nul : le dossier est soldé."
                else:
                    text = f"un ordre de reversement de {euros(-settlement.balance)} est émis ; le maire est informé et peut présenter ses observations."
                messages.success(request, f"Rapport final du dossier {dossier.reference} validé : {text}")
                return redirect("payments:report", pk=dossier.pk)
        else:
            status = 400
    from fonds.suivi.balance import actual_figures

    return _render(request, "payments/report.html", {
        "title": f"Rapport final — {dossier.reference}", "section": "reports", "dossier": dossier, "report": report,
        "figures": actual_figures(report), "balance": balance, "settlement": settlement,
        "recovery_amount": -balance.balance if balance is not None and balance.balance < 0 else None, "form": form,
        "allowed": allowed and date_refusal is None and request.can_pay, "date_refusal": date_refusal,
        "orders": list(PaymentOrder.objects.filter(dossier=dossier).order_by("created_at", "pk")),
        "can_reissue_balance": request.can_pay and settlement is not None and services.can_reissue_balance(dossier, settlement),
    }, status=status)


@_finance
@require_http_methods(["GET", "POST"])
def balance_reissue(request, pk):
    """A new balance order for a dossier whose balance order was cancelled (confirmation page,
    motivation required): the accepted report's balance, re-issued."""
    dossier = get_visible_or_404(request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign"))
    settlement = Settlement.objects.filter(dossier=dossier).first()
    allowed = services.can_reissue_balance(dossier, settlement)
    form = MotivatedForm(_posted(request), needs_motivation=True, label="Je confirme l'émission d'un nouvel ordre de paiement du solde")
    status = 200 if allowed else 409
    if not allowed:
        messages.error(request, f"Aucun ordre de solde à réémettre pour le dossier {dossier.reference} : il faut un rapport final validé avec un solde positif, un dossier « Rapport final déposé » et un ordre de solde annulé.")
    elif request.method == "POST":
        if form.is_valid():
            try:
                order = services.reissue_balance_order(dossier, by=request.user, motivation=form.cleaned_data["motivation"])
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                messages.success(request, f"Nouvel ordre de solde {order.reference} émis ({euros(order.amount)}) : « {order.get_state_display()} ».")
                return redirect("payments:order", pk=order.pk)
        else:
            status = 400
    return _render(request, "payments/balance_reissue.html", {
        "title": f"Réémettre l'ordre de solde — {dossier.reference}", "section": "reports", "dossier": dossier, "settlement": settlement,
        "form": form, "allowed": allowed and request.can_pay,
        "cancelled": list(PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE, state=O.CANCELLED).order_by("created_at", "pk")),
    }, status=status)


# ---- the porteur's pages -------------------------------------------------------------------------

def _porteur_dossier(request, pk):
    """The dossier for a porteur of its commune; staff get a 403 page, another commune a 404.
    ``pk=None``: no dossier (the commune's own page), porteurs only."""
    roles = roles_of(request.user)
    if Role.PORTEUR not in roles or not request.user.commune_id:
        return None, render(request, "payments/forbidden.html", {"title": "Page réservée aux communes", "porteur_page": True}, status=403)
    if pk is None:
        return None, None
    return get_visible_or_404(request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")), None


def _suivi_url(dossier) -> str:
    return reverse("suivi:dossier", args=[dossier.pk])


@login_required
@require_http_methods(["GET", "POST"])
def porteur_bank(request, pk=None):
    """The commune's IBAN, BIC and holder (per commune: reached from any of its dossiers, or
    from "Mes dossiers" without one)."""
    dossier, refused = _porteur_dossier(request, pk)
    if refused:
        return refused
    commune = dossier.commune if dossier is not None else request.user.commune
    bank = services.bank_details_for(commune.pk)
    ribs = queries.rib_choices(commune.pk)
    certified = bool(bank and bank.is_certified)
    initial = {}
    if bank is not None:
        initial = {"iban": " ".join(bank.iban[i:i + 4] for i in range(0, len(bank.iban), 4)), "bic": bank.bic, "holder": bank.holder, "siret": bank.siret, "rib_document": bank.rib_document_id}
    elif ribs:
        initial = {"rib_document": next((d.pk for d in ribs if dossier is not None and d.dossier_id == dossier.pk), ribs[0].pk), "holder": f"Commune de {commune.name}"}
    current = (bank.iban, bank.bic, bank.holder, bank.siret, bank.rib_document_id) if bank is not None else None
    form = BankDetailsForm(_posted(request), request.FILES if request.method == "POST" else None, initial=initial, ribs=ribs, certified=certified, current=current, siren=commune.siren)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = services.set_bank_details(
                    commune, by=request.user, iban=data["iban"], bic=data["bic"], holder=data["holder"], siret=data["siret"],
                    rib_document=data.get("rib_document") or None, rib_file=form.rib_upload(), dossier=dossier,
                )
            except ValidationError as exc:
                for name, errors in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                    form.add_error(name if name in form.fields else None, errors)
                status = 400
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                if bank is not None and saved.version == bank.version:
                    messages.info(request, "Ces coordonnées bancaires sont déjà enregistrées : rien n'a changé.")
                else:
                    messages.success(request, "Coordonnées bancaires enregistrées. Le fonds va les vérifier sur le RIB avant tout paiement ; vous verrez ici quand elles seront certifiées.")
                return redirect(request.path)
        else:
            status = 400
    return _render(request, "payments/porteur_bank.html", {
        "title": "Coordonnées bancaires de la commune", "nav": "dossiers", "dossier": dossier, "commune": commune, "bank": bank, "form": form, "ribs": ribs,
        "certified": certified, "errors": _errors_summary(form) if form.is_bound else [],
        "back_url": _suivi_url(dossier) if dossier is not None else reverse("depot:my-dossiers"),
        "blocked": PaymentOrder.objects.filter(dossier__commune_id=commune.pk, state=O.TO_CERTIFY).count() if bank is not None and not certified else 0,
        "returned": [
            {"order": o, "reason": services.RETURN_REASONS.get(o.return_code, o.return_code)}
            for o in PaymentOrder.objects.filter(dossier__commune_id=commune.pk, state=O.RETURNED).select_related("dossier").order_by("-returned_at")[:20]
        ],
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def porteur_recovery(request, pk):
    dossier, refused = _porteur_dossier(request, pk)
    if refused:
        return refused
    order = PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.RECOVERY).exclude(state=O.CANCELLED).select_related("answered_by").order_by("-created_at", "-pk").first()
    if order is None:
        cancelled = PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.RECOVERY).order_by("-created_at", "-pk").first()
        if cancelled is None:
            raise Http404("Aucune demande de reversement pour ce dossier.")
        order = cancelled
    now = clock.now()
    can_answer = order.state == O.CONTRADICTORY and order.answered_at is None and now < services.recovery_answer_due(order)
    form = RecoveryAnswerForm(_posted(request))
    status = 200
    if request.method == "POST":
        if not can_answer:
            form.add_error(None, "Vous ne pouvez plus répondre à cette demande de reversement : " + ("vous y avez déjà répondu." if order.answered_at else "le délai de réponse est expiré ou la procédure est close."))
            status = 409
        elif form.is_valid():
            try:
                services.answer_recovery(order, request.user, form.cleaned_data["text"])
            except services.PaymentRefused as refused:
                form.add_error(None, refused.message)
                status = _status_of(refused)
            else:
                messages.success(request, "Vos observations sont transmises au fonds. Il les examinera avant de décider du reversement ; vous serez informé de la décision.")
                return redirect("payments:porteur-recovery", pk=dossier.pk)
        else:
            status = 400
    settlement = Settlement.objects.filter(dossier=dossier).first()
    return _render(request, "payments/porteur_recovery.html", {
        "title": "Demande de reversement", "nav": "dossiers", "dossier": dossier, "order": order, "form": form, "can_answer": can_answer,
        "settlement": settlement, "lines": (settlement.lines if settlement else []) or [],
        "errors": _errors_summary(form) if form.is_bound else [], "back_url": _suivi_url(dossier),
    }, status=status)


def _errors_summary(form) -> list[dict]:
    out = []
    for name, errors in form.errors.items():
        field = form[name] if name in form.fields else None
        for error in errors:
            out.append({"id": field.auto_id if field is not None else "", "label": field.label if field is not None else "", "message": error})
    return out
