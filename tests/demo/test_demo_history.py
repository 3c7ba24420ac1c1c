"""``manage.py seed_demo`` tells the truth: every status reached through its forum, in chronological
order, and every dossier's status agrees with its agenda items, decision letters, convention,
payment orders, batches, final report and balance (issue 13, point 5)."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import timezone

from fonds import clock
from fonds.accounts.models import User
from fonds.audit.chain import event_payload, verify
from fonds.audit.models import AuditEvent
from fonds.comite.models import AgendaItem, PromotionProposal, Session
from fonds.demo import DEMO_DOMAIN, MAIN_PORTEUR, PAST_ENVELOPE
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.services import forums_of, transition_names
from fonds.dossiers.states import Forum, Status
from fonds.eligibilite.rules.campaign import E7_NON_BLOCKING
from fonds.payments.models import (
    BankDetails,
    Batch,
    BatchItem,
    BatchState,
    ItemOutcome,
    OrderKind,
    OrderState,
    PaymentOrder,
    Settlement,
)
from fonds.referentiel.models import Campaign, Commune, Jumelage, PartnerTown
from fonds.referentiel.siret import is_valid_siret
from fonds.suivi.models import FinalReport

from .referential import BIG, OVERSEAS
from .seeded import PASSWORD, SeededDemo

S = Status
STAFF = {
    "instructeur": "instructeur",
    "comite": "comite",
    "president": "comite",
    "finance": "finance",
    "auditeur": "auditeur",
    "admin": "admin",
}
#: statuses reached by an approval (in a sitting, or a promotion from the waiting list)
AWARDED = {
    S.APPROVED,
    S.AGREEMENT_SIGNED,
    S.ADVANCE_PAID,
    S.REPORT_SUBMITTED,
    S.RECOVERY_PENDING,
    S.CLOSED,
    S.LAPSED,
    S.RENOUNCED,
}
ADVANCE_PAID_OR_LATER = {S.ADVANCE_PAID, S.REPORT_SUBMITTED, S.RECOVERY_PENDING, S.CLOSED}
LIVE_SESSIONS = (Session.Status.PLANNED, Session.Status.CONVENED, Session.Status.SITTING)
NOT_PAID_YET = (OrderState.TO_CERTIFY, OrderState.READY, OrderState.IN_BATCH, OrderState.SENT)


def paid_in_an_executed_batch(order: PaymentOrder) -> bool:
    """Paid, by a batch executed on or after its requested execution date."""
    item = (
        BatchItem.objects.filter(order=order, outcome=ItemOutcome.PAID, batch__state=BatchState.EXECUTED)
        .select_related("batch")
        .first()
    )
    return (
        order.state == OrderState.PAID
        and item is not None
        and timezone.localdate(item.batch.executed_at) >= item.batch.execution_date
    )


def disagreements(d: Dossier) -> list[str]:
    """What, around ``d``, contradicts its status (empty: they agree)."""
    problems = []

    def say(message: str) -> None:
        problems.append(f"{d.reference} « {d.get_status_display()} » : {message}")

    items = list(AgendaItem.objects.filter(dossier=d).select_related("session").order_by("decided_at", "pk"))
    pending = [i for i in items if not i.outcome]
    decided = [i for i in items if i.outcome]
    orders = {kind: list(PaymentOrder.objects.filter(dossier=d, kind=kind)) for kind in OrderKind.values}
    report = FinalReport.objects.filter(dossier=d, submitted_at__isnull=False).first()
    settlement = Settlement.objects.filter(dossier=d).first()
    promotions = list(PromotionProposal.objects.filter(dossier=d, resolved_at__isnull=False))

    # deposit: a receipt and the four pieces
    if d.submitted_at is not None:
        if not GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.RECEIPT, dossier=d).exists():
            say("déposé sans récépissé")
        kinds = set(d.documents.filter(replaced_by__isnull=True).values_list("kind", flat=True))
        if not {"deliberation", "twinning_agreement", "partner_commitment", "rib"} <= kinds:
            say(f"pièces manquantes ({sorted(kinds)})")
    elif d.status not in (S.DRAFT, S.WITHDRAWN):
        say("jamais déposé")

    # the committee: in committee only on the agenda of a session not closed; decided only in a closed sitting
    if d.status == S.IN_COMMITTEE:
        if len(pending) != 1 or pending[0].session.status not in LIVE_SESSIONS:
            say("en comité sans point à l'ordre du jour d'une séance non close")
    elif pending:
        say("un point non décidé à l'ordre du jour alors qu'il n'est pas en comité")
    for item in decided:
        if item.session.status != Session.Status.CLOSED or item.session.minutes_id is None:
            say(f"décision du point {item.pk} hors d'une séance close avec procès-verbal")
        if not GeneratedDocument.objects.filter(
            kind=GeneratedDocument.Kind.DECISION_LETTER, key=f"decision-letter-{item.pk}"
        ).exists():
            say(f"pas de lettre de décision pour le point {item.pk} ({item.outcome})")
    outcomes = [i.outcome for i in decided]
    approved_in_sitting = [i for i in decided if i.outcome == AgendaItem.Outcome.APPROVED]
    if d.status in AWARDED:
        if approved_in_sitting:
            amount = approved_in_sitting[-1].decided_amount
        elif promotions and AgendaItem.Outcome.WAITLISTED in outcomes:
            amount = promotions[-1].amount
        else:
            amount = None
            say("accordé sans décision de séance ni promotion de la liste complémentaire")
        if amount is not None and amount != d.approved_amount:
            say(f"montant accordé {d.approved_amount} ≠ montant décidé {amount}")
        if not GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.CONVENTION, dossier=d).exists():
            say("accordé sans convention")
    elif approved_in_sitting or promotions:
        say("accordé en séance ou promu, mais pas dans un statut d'attribution")
    if d.status == S.WAITLISTED and (outcomes[-1:] != [AgendaItem.Outcome.WAITLISTED] or promotions):
        say("en liste complémentaire sans décision de séance correspondante")
    if d.status == S.REJECTED and outcomes[-1:] != [AgendaItem.Outcome.REJECTED]:
        say("refusé sans décision de refus en séance")
    if d.status == S.INSTRUCTED and any(o != AgendaItem.Outcome.DEFERRED for o in outcomes):
        say("instruit après une décision autre qu'un ajournement")

    # payments: the advance
    advance = orders[OrderKind.ADVANCE]
    if d.status in ADVANCE_PAID_OR_LATER:
        if len(advance) != 1 or not paid_in_an_executed_batch(advance[0]):
            say("avance non payée par un lot exécuté")
    elif d.status == S.AGREEMENT_SIGNED:
        if len(advance) != 1 or advance[0].state not in NOT_PAID_YET:
            say("convention acceptée sans ordre d'avance en attente de paiement")
    elif advance:
        say("ordre d'avance avant l'acceptation de la convention")

    # the final report, the balance, the recovery
    balance_orders, recoveries = orders[OrderKind.BALANCE], orders[OrderKind.RECOVERY]
    if d.status in (S.REPORT_SUBMITTED, S.RECOVERY_PENDING, S.CLOSED):
        if report is None:
            say("pas de rapport final déposé")
        elif timezone.localdate(report.submitted_at) < d.end_date:
            say("rapport final déposé avant la fin du projet")
    elif report is not None or settlement is not None or balance_orders or recoveries:
        say("rapport, solde ou reversement avant l'heure")
    if d.status == S.REPORT_SUBMITTED and settlement is not None:
        if settlement.balance <= 0 or not any(o.state in NOT_PAID_YET for o in balance_orders):
            say("rapport validé sans solde en attente de paiement")
    if d.status == S.RECOVERY_PENDING:
        if (
            settlement is None
            or settlement.balance >= 0
            or len(recoveries) != 1
            or recoveries[0].state not in (OrderState.CONTRADICTORY, OrderState.FINAL)
        ):
            say("reversement demandé sans solde négatif ni ordre de reversement en cours")
    if d.status == S.CLOSED:
        if settlement is None:
            say("soldé sans validation du rapport final")
        elif settlement.balance > 0 and not any(paid_in_an_executed_batch(o) for o in balance_orders):
            say("soldé sans paiement du solde par un lot exécuté")
        elif settlement.balance < 0 and not any(o.state == OrderState.PAID for o in recoveries):
            say("soldé sans reversement reçu")
    return problems


class DemoHistoryTest(SeededDemo):
    def dossiers(self):
        return list(
            Dossier.objects.filter(campaign__in=[self.campaign, self.past]).select_related(
                "commune", "created_by"
            )
        )

    def test_every_status_of_the_state_machine_is_in_the_demo(self):
        dossiers = self.dossiers()
        assert {d.status for d in dossiers} == set(Status.values), set(Status.values) - {
            d.status for d in dossiers
        }
        assert len(dossiers) >= 30
        # communes: ≤ 3,500 inhabitants with a SIREN, some overseas, never the big ones
        assert all(d.commune.population <= 3500 and len(d.commune.siren) == 9 for d in dossiers)
        assert not any(d.commune_id in BIG for d in dossiers)
        assert any(d.commune_id in OVERSEAS for d in dossiers)

    def test_e7_one_blocking_dossier_per_commune_and_campaign(self):
        seen = set()
        for d in self.dossiers():
            if d.status not in E7_NON_BLOCKING:
                assert (d.commune_id, d.campaign_id) not in seen, d.reference
                seen.add((d.commune_id, d.campaign_id))

    def test_each_status_is_reached_through_the_forum_of_each_transition(self):
        names = set(transition_names())
        forums = set()
        for d in self.dossiers():
            events = list(
                AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(d.pk)).order_by("seq")
            )
            assert events[0].action == "create_draft" and events[0].actor_id == d.created_by_id
            assert d.created_by.commune_id == d.commune_id and "porteur" in d.created_by.roles
            moves = [e for e in events if e.action in names]
            if d.status == S.DRAFT:
                assert not moves
                continue
            assert (
                event_payload(moves[0])["from"] == S.DRAFT and event_payload(moves[-1])["to"] == d.status
            ), d.reference
            for event in moves:
                forum = event_payload(event)["forum"]
                assert forum in forums_of(event.action), (d.reference, event.action, forum)
                assert (event.actor_id is None) == (forum in (Forum.SYSTEM, Forum.WAITING_LIST)), (
                    d.reference,
                    event.action,
                )
                forums.add(forum)
        assert forums == set(
            Forum.values
        )  # the screens, the sittings, the waiting list, payments, the system

    def test_the_system_fires_the_deadlines_when_they_are_due(self):
        for action, due in (("expire_corrections", None), ("lapse", "agreement_due")):
            events = AuditEvent.objects.filter(action=action, object_type="dossiers.dossier")
            assert events.exists()
            for event in events:
                assert event.actor_id is None
                dossier = Dossier.objects.get(pk=event.object_id)
                deadline = dossier.agreement_due if due else dossier.correction_requests.get().deadline
                assert deadline is not None and event.created_at > deadline
        final = PaymentOrder.objects.filter(kind=OrderKind.RECOVERY, final_at__isnull=False)
        assert final.exists() and all(o.final_at >= o.answer_due for o in final)
        assert AuditEvent.objects.filter(action="recovery_made_final", actor_id__isnull=True).exists()

    def test_every_demo_dossier_agrees_with_its_agenda_orders_and_batches(self):
        problems = [p for d in self.dossiers() for p in disagreements(d)]
        assert problems == []

    def test_the_walk_sees_a_status_that_lies(self):
        """The walk above can fail: a dossier « En comité » off any agenda, an « Avance versée » whose
        batch was never executed (rows edited behind the services, rolled back after the test)."""
        in_committee = Dossier.objects.filter(status=S.IN_COMMITTEE).first()
        AgendaItem.objects.filter(dossier=in_committee).delete()
        assert any("sans point à l'ordre du jour" in p for p in disagreements(in_committee))
        paid = Dossier.objects.get(status=S.ADVANCE_PAID)
        Batch.objects.filter(items__order__dossier=paid).update(state=BatchState.SENT)
        assert any("avance non payée par un lot exécuté" in p for p in disagreements(paid))

    def test_the_history_is_chronological_and_the_clock_is_back(self):
        times = list(AuditEvent.objects.order_by("seq").values_list("created_at", flat=True))
        assert times == sorted(times)
        assert times[0] < self.started - timezone.timedelta(days=365) and times[-1] <= self.finished
        assert abs(clock.now() - timezone.now()) < timezone.timedelta(seconds=5)
        # the pilot campaign: its committee over a year ago, its trips done before their reports
        assert self.past.closes_at < self.started - timezone.timedelta(days=365)
        assert self.past.envelope == PAST_ENVELOPE
        for d in Dossier.objects.filter(
            campaign=self.past, status__in=[S.REPORT_SUBMITTED, S.RECOVERY_PENDING, S.CLOSED]
        ):
            assert d.end_date < timezone.localdate(self.started)

    def test_sessions_and_batches_keep_their_dates(self):
        min_days = timezone.timedelta(days=5)
        for session in Session.objects.all():
            assert session.convened_at is not None and session.starts_at - session.convened_at >= min_days
            if session.status == Session.Status.CLOSED:
                assert session.opened_at >= session.starts_at and session.minutes_sha256
        assert Session.objects.filter(status=Session.Status.CLOSED).count() == 2
        batches = Batch.objects.all()
        assert batches.count() >= 4
        for batch in batches:
            assert batch.state == BatchState.EXECUTED
            assert (
                timezone.localdate(batch.executed_at)
                >= batch.execution_date
                > timezone.localdate(batch.created_at)
            )

    def test_accounts_passwords_and_main_commune(self):
        for local, role in STAFF.items():
            user = User.objects.get(email=f"{local}@{DEMO_DOMAIN}")
            assert role in user.roles and user.check_password(PASSWORD)
        admin = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
        assert admin.is_staff and admin.is_superuser
        main = User.objects.get(email=MAIN_PORTEUR)
        assert main.roles == {"porteur"} and main.check_password(PASSWORD)
        history = Dossier.objects.get(commune=main.commune, campaign=self.past)
        assert history.status == S.CLOSED
        assert (
            set(
                Dossier.objects.filter(commune=main.commune, campaign=self.campaign).values_list(
                    "status", flat=True
                )
            )
            <= E7_NON_BLOCKING
        )
        assert Jumelage.objects.filter(commune=main.commune).exists()

    def test_documents_partners_and_bank_details_are_plausible(self):
        assert Document.objects.filter(replaced_by__isnull=False).exists()  # the corrected délibération
        assert AuditEvent.objects.filter(action="document_uploaded").count() == Document.objects.count()
        assert not PartnerTown.objects.filter(country="FR").exists()
        assert PartnerTown.objects.values("country").distinct().count() >= 8
        banks = list(BankDetails.objects.select_related("commune"))
        assert banks and all(
            is_valid_siret(b.siret, b.commune.siren) and b.siret[9:13] == "9999" for b in banks
        )
        assert any(b.is_certified for b in banks) and any(not b.is_certified for b in banks)

    def test_audit_trail_verifies(self):
        assert verify().ok

    def test_the_summary_names_the_demo(self):
        assert (
            "Démo créée" in self.output
            and MAIN_PORTEUR in self.output
            and "Reversement demandé" in self.output
        )
        assert "president@demo.fjj.fr peut l'ouvrir" in self.output

    def test_a_second_run_changes_nothing(self):
        models = (
            Campaign,
            Dossier,
            User,
            Document,
            Jumelage,
            PartnerTown,
            AuditEvent,
            Commune,
            Session,
            PaymentOrder,
        )
        before = {m.__name__: m.objects.count() for m in models}
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        assert "Démo déjà présente" in out.getvalue()
        assert {m.__name__: m.objects.count() for m in models} == before
