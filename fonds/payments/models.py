"""Payments: the commune's bank details, payment orders (advance, balance, recovery), SEPA batches.

Every change goes through the payment services (one transaction, ``select_for_update``, one audit
event); the FSM fields are protected. "Never twice" is also enforced by the database: one live
order per dossier and kind, an order in at most one live batch item and paid at most once.
IBANs never appear in clear in the audit trail (``iban_masked`` and ``iban_sha256`` instead).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.formats import euros
from fonds.links import link


def iban_sha256(iban: str) -> str:
    return hashlib.sha256((iban or "").replace(" ", "").upper().encode()).hexdigest()


def mask_iban(iban: str) -> str:
    """``FR76 **** 1234``: the country code and the last 4 characters only."""
    iban = (iban or "").replace(" ", "").upper()
    if len(iban) < 8:
        return "****"
    return f"{iban[:4]} **** {iban[-4:]}"


def details_fingerprint(iban: str, bic: str, holder: str, siret: str = "") -> str:
    """The fingerprint of bank details (see ``BankDetails.fingerprint``)."""
    text = f"{iban}|{bic}|{holder}" + (f"|{siret}" if siret else "")
    return hashlib.sha256(text.encode()).hexdigest()


class BankDetails(models.Model):
    """The bank account of a commune (creditor of every payment to it), as given on its RIB.

    Per commune, not per dossier: a change of IBAN (the classic fraud) must block every pending
    payment to the commune until re-certified. A certification holds only for the exact values
    certified (``certified_fingerprint`` over IBAN, BIC, holder and SIRET; ``is_certified`` compares).
    ``siret``: the town hall's, blank on older details (then left out of the fingerprint).
    """

    commune = models.OneToOneField(
        "referentiel.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="bank_details"
    )
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    holder = models.CharField("titulaire du compte", max_length=140)
    siret = models.CharField("SIRET de la mairie", max_length=14, blank=True, default="")
    rib_document = link("dossiers.Document", "RIB", null=True)
    updated_at = models.DateTimeField("modifié le", default=clock.now)
    updated_by = user_fk(null=True)
    version = models.PositiveIntegerField("version", default=1)
    certified_at = models.DateTimeField("certifié le", null=True, blank=True)
    certified_by = user_fk(null=True)
    certified_fingerprint = models.CharField(max_length=64, blank=True)
    # finance's refusal of these details (they do not match the RIB): shown to the porteur until
    # the details or the RIB change (``version`` moves on) or they are certified
    rejected_at = models.DateTimeField("rejeté le", null=True, blank=True)
    rejected_by = user_fk(null=True)
    rejection_reason = models.TextField("motif du rejet", blank=True)

    class Meta:
        verbose_name = "coordonnées bancaires"
        verbose_name_plural = "coordonnées bancaires"

    def __str__(self):
        return f"{self.holder} — {self.masked_iban}"

    @property
    def masked_iban(self) -> str:
        return mask_iban(self.iban)

    def fingerprint(self) -> str:
        """SHA-256 of the certified values. The SIRET takes part only when it is set: details
        certified before the field existed (blank SIRET) keep the fingerprint they were certified
        with — and batches built with it stay sendable — while setting or changing the SIRET
        voids the certification like any other change."""
        return details_fingerprint(self.iban, self.bic, self.holder, self.siret)

    @property
    def is_certified(self) -> bool:
        return self.certified_at is not None and self.certified_fingerprint == self.fingerprint()

    @property
    def is_rejected(self) -> bool:
        """Finance refused these exact details (cleared by any change of IBAN, BIC, holder, SIRET or RIB)."""
        return self.rejected_at is not None and not self.is_certified


class OrderKind(models.TextChoices):
    ADVANCE = "advance", "Avance"
    BALANCE = "balance", "Solde"
    RECOVERY = "recovery", "Reversement"


class OrderState(models.TextChoices):
    TO_CERTIFY = "to_certify", "En attente de certification des coordonnées bancaires"
    READY = "ready", "Prêt à payer"
    IN_BATCH = "in_batch", "Dans un lot"
    SENT = "sent", "Virement envoyé"
    PAID = "paid", "Payé"
    RETURNED = "returned", "Virement rejeté"
    CANCELLED = "cancelled", "Annulé"
    # recovery orders (ordre de reversement: the commune pays the fund back; never in a batch)
    CONTRADICTORY = "contradictory", "Procédure contradictoire en cours"
    FINAL = "final", "Reversement exigible"
    WRITTEN_OFF = "written_off", "Admis en non-valeur"


OUTGOING_KINDS = (OrderKind.ADVANCE, OrderKind.BALANCE)


def _meta(label: str, *, motivation: bool = False, confirm: str = "") -> dict:
    return {"label": label, "needs_motivation": motivation, "confirm": confirm}


class PaymentOrder(ConcurrentTransitionMixin, models.Model):
    """One amount owed to (advance, balance) or by (recovery) a commune for one dossier.

    Outgoing orders: to_certify → ready → in_batch → sent → paid | returned (→ ready once the bank
    details are corrected and re-certified) ; paid → returned (the bank's return arrives after the
    batch was recorded as executed) ; to_certify/ready/returned → cancelled.
    Recovery orders: contradictory (the mayor has N days to answer) → final (by finance, or by the
    system at expiry) → paid (money received) | written_off ; contradictory/final → cancelled.
    """

    reference = models.CharField("référence (identifiant de bout en bout)", max_length=35, unique=True)
    dossier = models.ForeignKey(
        "dossiers.Dossier", verbose_name="dossier", on_delete=models.PROTECT, related_name="payment_orders"
    )
    kind = models.CharField("nature", max_length=10, choices=OrderKind.choices)
    amount = models.DecimalField("montant (€)", max_digits=12, decimal_places=2)
    state = FSMField(
        "état", default=OrderState.TO_CERTIFY, choices=OrderState.choices, protected=True, db_index=True
    )
    created_at = models.DateTimeField("créé le", default=clock.now)
    created_by = user_fk(null=True)
    rules_version = models.PositiveIntegerField("version des règles", null=True, blank=True)
    breakdown = models.JSONField("calcul", default=dict, blank=True)
    paid_at = models.DateTimeField("payé le", null=True, blank=True)
    returned_at = models.DateTimeField("rejeté le", null=True, blank=True)
    return_code = models.CharField("motif du rejet (code banque)", max_length=4, blank=True)
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    motivation = models.TextField("motivation", blank=True)
    # recovery: the contradictory step
    answer_due = models.DateTimeField("réponse attendue avant le", null=True, blank=True)
    answer_text = models.TextField("réponse du maire", blank=True)
    answered_at = models.DateTimeField("répondu le", null=True, blank=True)
    answered_by = user_fk(null=True)
    final_at = models.DateTimeField("rendu exécutoire le", null=True, blank=True)

    class Meta:
        verbose_name = "ordre de paiement"
        verbose_name_plural = "ordres de paiement"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_order_amount_positive"),
            models.UniqueConstraint(
                fields=["dossier", "kind"],
                condition=~Q(state="cancelled"),
                name="payments_one_live_order_per_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "kind"]),
            # the orders list's sort (-created_at, -id), read backwards: no sort of the whole table
            models.Index(fields=["created_at", "id"], name="payments_order_created_id"),
        ]

    def __str__(self):
        return f"{self.reference} ({self.get_kind_display()}, {euros(self.amount)})"

    @property
    def is_outgoing(self) -> bool:
        return self.kind in OUTGOING_KINDS

    # --- outgoing orders ---
    @transition(state, source=OrderState.TO_CERTIFY, target=OrderState.READY, custom=_meta("Rendre payable"))
    def certify(self):
        pass

    @transition(
        state,
        source=OrderState.READY,
        target=OrderState.TO_CERTIFY,
        custom=_meta("Suspendre (coordonnées bancaires modifiées)"),
    )
    def suspend(self):
        pass

    @transition(
        state,
        source=OrderState.READY,
        target=OrderState.IN_BATCH,
        conditions=[lambda o: o.is_outgoing],
        custom=_meta("Mettre dans un lot"),
    )
    def add_to_batch(self):
        pass

    @transition(state, source=OrderState.IN_BATCH, target=OrderState.READY, custom=_meta("Retirer du lot"))
    def remove_from_batch(self):
        pass

    @transition(state, source=OrderState.IN_BATCH, target=OrderState.SENT, custom=_meta("Envoyer"))
    def send(self):
        pass

    @transition(state, source=OrderState.SENT, target=OrderState.PAID, custom=_meta("Constater le paiement"))
    def pay(self):
        self.paid_at = clock.now()

    @transition(
        state, source=OrderState.SENT, target=OrderState.RETURNED, custom=_meta("Enregistrer le rejet")
    )
    def bank_return(self, code: str = ""):
        self.returned_at = clock.now()
        self.return_code = code

    @transition(
        state,
        source=OrderState.PAID,
        target=OrderState.RETURNED,
        conditions=[lambda o: o.is_outgoing],
        custom=_meta("Enregistrer un rejet reçu après l'exécution"),
    )
    def bank_return_after_payment(self, code: str = ""):
        self.returned_at = clock.now()
        self.return_code = code
        self.paid_at = None

    @transition(state, source=OrderState.RETURNED, target=OrderState.READY, custom=_meta("Réémettre"))
    def reissue(self):
        pass

    @transition(
        state,
        source=[
            OrderState.TO_CERTIFY,
            OrderState.READY,
            OrderState.RETURNED,
            OrderState.CONTRADICTORY,
            OrderState.FINAL,
        ],
        target=OrderState.CANCELLED,
        custom=_meta("Annuler", motivation=True, confirm="L'annulation est définitive."),
    )
    def cancel(self, motivation: str = ""):
        self.cancelled_at = clock.now()
        self.motivation = motivation

    # --- recovery orders ---
    @transition(
        state,
        source=OrderState.CONTRADICTORY,
        target=OrderState.FINAL,
        custom=_meta("Rendre le reversement exécutoire", confirm="Le reversement deviendra exigible."),
    )
    def make_final(self):
        self.final_at = clock.now()

    @transition(
        state, source=OrderState.FINAL, target=OrderState.PAID, custom=_meta("Constater le reversement reçu")
    )
    def record_recovered(self):
        self.paid_at = clock.now()

    @transition(
        state,
        source=OrderState.FINAL,
        target=OrderState.WRITTEN_OFF,
        custom=_meta("Admettre en non-valeur", motivation=True, confirm="La créance sera abandonnée."),
    )
    def write_off(self, motivation: str = ""):
        self.motivation = motivation


class BatchState(models.TextChoices):
    READY = "ready", "Prêt (fichier disponible)"
    SENT = "sent", "Transmis à la banque"
    EXECUTED = "executed", "Exécuté"
    CANCELLED = "cancelled", "Annulé"


class Batch(ConcurrentTransitionMixin, models.Model):
    """A SEPA credit-transfer file (pain.001.001.03): one transaction per order.

    ``message_id`` and ``created_at`` are fixed when the batch is built and written in the file, so
    exporting the same batch twice gives the same bytes (``file_sha256`` is the hash of the file,
    also in the audit trail).
    """

    reference = models.CharField("référence", max_length=35, unique=True)
    message_id = models.CharField("identifiant du message (MsgId)", max_length=35, unique=True)
    state = FSMField(
        "état", default=BatchState.READY, choices=BatchState.choices, protected=True, db_index=True
    )
    created_at = models.DateTimeField("constitué le", default=clock.now)
    created_by = user_fk()
    execution_date = models.DateField("date d'exécution demandée")
    debtor_name = models.CharField(max_length=70)
    debtor_iban = models.CharField(max_length=34)
    debtor_bic = models.CharField(max_length=11)
    count = models.PositiveIntegerField("nombre d'ordres", default=0)
    total = models.DecimalField("montant total (€)", max_digits=14, decimal_places=2, default=Decimal("0"))
    file_sha256 = models.CharField("SHA-256 du fichier", max_length=64, blank=True)
    sent_at = models.DateTimeField("transmis le", null=True, blank=True)
    sent_by = user_fk(null=True)
    executed_at = models.DateTimeField("exécuté le", null=True, blank=True)
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)

    class Meta:
        verbose_name = "lot de virements"
        verbose_name_plural = "lots de virements"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.reference

    @property
    def exportable(self) -> bool:
        return self.state in (BatchState.READY, BatchState.SENT)

    @transition(state, source=BatchState.READY, target=BatchState.SENT)
    def mark_sent(self):
        self.sent_at = clock.now()

    @transition(state, source=BatchState.SENT, target=BatchState.EXECUTED)
    def mark_executed(self):
        self.executed_at = clock.now()

    @transition(state, source=BatchState.READY, target=BatchState.CANCELLED)
    def cancel(self):
        self.cancelled_at = clock.now()


class ItemOutcome(models.TextChoices):
    PENDING = "pending", "En attente"
    PAID = "paid", "Payé"
    RETURNED = "returned", "Rejeté"
    REMOVED = "removed", "Retiré (lot annulé)"


class BatchItem(models.Model):
    """One order in one batch, with the creditor's details frozen at build time (the file's content)."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="items")
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="batch_items")
    position = models.PositiveIntegerField()
    live = models.BooleanField(default=True)
    outcome = models.CharField(max_length=10, choices=ItemOutcome.choices, default=ItemOutcome.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    end_to_end_id = models.CharField(max_length=35)
    creditor_name = models.CharField(max_length=140)
    creditor_iban = models.CharField(max_length=34)
    creditor_bic = models.CharField(max_length=11)
    bank_fingerprint = models.CharField(max_length=64)
    remittance = models.CharField(max_length=140)
    return_code = models.CharField(max_length=4, blank=True)

    class Meta:
        verbose_name = "virement du lot"
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(live=True), name="payments_order_in_one_live_batch"
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(outcome="paid"), name="payments_order_paid_once"
            ),
            models.UniqueConstraint(fields=["batch", "position"], name="payments_item_position"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_item_amount_positive"),
        ]


class Settlement(models.Model):
    """Finance's acceptance of the final report: the balance computed once, with its breakdown."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="settlement")
    accepted_at = models.DateTimeField(default=clock.now)
    accepted_by = user_fk()
    final_grant = models.DecimalField(max_digits=12, decimal_places=2)
    advance = models.DecimalField(max_digits=12, decimal_places=2)
    balance = models.DecimalField(max_digits=12, decimal_places=2)
    breakdown = models.JSONField(default=dict)
    lines = models.JSONField(default=list)
    rules_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "validation du rapport final"
