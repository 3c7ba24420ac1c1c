"""What each person of the demonstration does, through the services their screens call: nothing
here writes a status or a row of its own.

The mayor, the instructor, the committee (``fonds.comite.testing.Committee``: real sittings) and
finance (bank details, batches, settlement, recovery). The system's own acts (deadlines, waiting
list, final recoveries) happen when the timeline's beat finds them due (``fonds.demo.timeline``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from fonds import clock
from fonds.comite import convocation, decisions
from fonds.comite.models import AgendaItem, Session
from fonds.comite.testing import Committee
from fonds.dossiers import editing
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.services import perform
from fonds.instruction.testing import ready_for_completion
from fonds.payments import bank, batches, execution, recovery, settlement
from fonds.payments.models import BankDetails, Batch, OrderKind, PaymentOrder
from fonds.public import publishing
from fonds.referentiel.siret import demo_siret
from fonds.suivi.services import planned_report, save_report_draft
from fonds.suivi.testing import acceptance_data

from .content import Project, money, round_down
from .pieces import BIC, demo_iban, participant_list, upload_pieces
from .words import MAYOR_FIRST_NAMES, MAYOR_LAST_NAMES, MOTIVATIONS, Partner, de

#: the time the committee gives each dossier in a sitting, before its vote
SPEAKING_MINUTES = 7
#: at most this share of the planned expenses in a "reduced" final report (the trip cost far less)
REDUCED = Decimal("0.4")


@dataclass
class Case:
    """One demo dossier: where it happens, and the story it is given."""

    story: str
    campaign: object
    commune: object
    porteur: object
    jumelage: object
    partner: Partner
    project: Project | None = None
    dossier: Dossier | None = None

    @property
    def pk(self) -> int:
        return self.dossier.pk


class Acts:
    def __init__(self, rng: random.Random, staff: dict):
        self.rng = rng
        self.staff = staff
        self.instructeur, self.finance, self.admin = staff["instructeur"], staff["finance"], staff["admin"]
        self.chair = staff["president"]
        self.committee = Committee(
            admin=self.admin, chair=self.chair, members=[staff["president"], staff["comite"]]
        )
        self._turn: dict[str, int] = {}

    def motivation(self, key: str) -> str:
        value = MOTIVATIONS[key]
        if isinstance(value, str):
            return value
        turn = self._turn.get(key, 0)
        self._turn[key] = turn + 1
        return value[turn % len(value)]

    def refresh(self, case: Case) -> Dossier:
        case.dossier.refresh_from_db()
        return case.dossier

    # ---- the mayor ------------------------------------------------------------------------------

    def draft(self, case: Case, pieces: str = "all") -> Dossier:
        """A draft with the project (``pieces``: "all", "some" — two pieces missing —, or "none":
        only the title and summary)."""
        fields, lines = dict(case.project.fields), case.project.lines
        if pieces == "none":
            fields, lines = {k: fields[k] for k in ("jumelage", "title", "summary")}, None
        case.dossier = editing.create_draft(
            by=case.porteur, campaign=case.campaign, fields=fields, budget_lines=lines
        )
        if pieces != "none":
            kinds = [Document.Kind.DELIBERATION, Document.Kind.RIB] if pieces == "some" else None
            council = case.dossier.created_at.date()
            upload_pieces(
                case.dossier, case.porteur, case.jumelage, case.partner, council_day=council, kinds=kinds
            )
        return case.dossier

    def submit(self, case: Case) -> None:
        perform(case.dossier, "submit", by=case.porteur)

    def answer_corrections(self, case: Case) -> None:
        """The mayor completes the programme, uploads the full délibération and sends the dossier back."""
        dossier = self.refresh(case)
        addition = (
            " Programme détaillé jour par jour joint ; deux accompagnateurs veillent sur les mineurs la "
            "nuit, en lien avec les familles d'accueil."
        )
        editing.update_content(dossier, by=case.porteur, fields={"objectives": dossier.objectives + addition})
        upload_pieces(
            dossier,
            case.porteur,
            case.jumelage,
            case.partner,
            council_day=dossier.created_at.date(),
            kinds=[Document.Kind.DELIBERATION],
        )
        perform(dossier, "resubmit", by=case.porteur, motivation=self.motivation("resubmit"))

    def withdraw(self, case: Case) -> None:
        perform(case.dossier, "withdraw", by=case.porteur, motivation=self.motivation("withdraw"))

    def renounce(self, case: Case) -> None:
        perform(case.dossier, "renounce", by=case.porteur, motivation=self.motivation("renounce"))

    def mayor_name(self) -> str:
        return f"{self.rng.choice(MAYOR_FIRST_NAMES)} {self.rng.choice(MAYOR_LAST_NAMES)}"

    def accept(self, case: Case) -> None:
        """The mayor reads the convention, accepts it under their name, writes the public summary
        (« Projets soutenus ») and gives the commune's bank details (fictitious IBAN, demonstration
        SIRET) read from the dossier's RIB."""
        dossier = self.refresh(case)
        perform(
            dossier, "accept_agreement", by=case.porteur, data=acceptance_data(dossier, self.mayor_name())
        )
        publishing.save_texts(dossier, by=case.porteur, summary=public_summary(dossier))
        commune = dossier.commune
        if not BankDetails.objects.filter(commune=commune).exists():
            rib = dossier.documents.filter(kind=Document.Kind.RIB, replaced_by__isnull=True).first()
            bank.set_bank_details(
                commune,
                by=case.porteur,
                iban=demo_iban(commune.code)[0],
                bic=BIC,
                holder=f"Commune {de(commune.name)}"[:70],
                siret=demo_siret(commune.siren) or None,
                rib_document=rib,
            )

    def file_report(self, case: Case, *, reduced: bool = False) -> None:
        """The final report: the plan as it happened, or (``reduced``) a smaller group and far lower costs."""
        dossier = self.refresh(case)
        fields, lines = planned_report(dossier)
        text = self.motivation("report") + dossier.summary
        if reduced:  # 80 % of what was spent is less than the advance (75 %): a negative balance
            eligible = sum(line["amount"] for line in lines if line["kind"] == "expense" and line["eligible"])
            share = min(REDUCED, Decimal("0.8") * dossier.approved_amount / eligible)
            fields["youth_ages"] = fields["youth_ages"][: max(5, len(fields["youth_ages"]) // 2)]
            for line in lines:
                if line["kind"] == "expense":
                    line["amount"] = money(round_down(line["amount"] * share, 10))
            text = self.motivation("report_reduced") + dossier.summary
        fields["activity_report"] = text
        save_report_draft(
            dossier,
            by=case.porteur,
            fields=fields,
            lines=lines,
            participant_list=participant_list(dossier, len(fields["youth_ages"])),
        )
        perform(dossier, "submit_report", by=case.porteur)

    # ---- the instructor ---------------------------------------------------------------------------

    def start_instruction(self, case: Case) -> None:
        perform(case.dossier, "start_instruction", by=self.instructeur)

    def _instruct(self, case: Case, transition: str, **kwargs) -> None:
        """The instructor fires ``transition`` with its demo motivation."""
        perform(
            case.dossier, transition, by=self.instructeur, motivation=self.motivation(transition), **kwargs
        )

    def request_corrections(self, case: Case) -> None:
        self._instruct(
            case, "request_corrections", data={"fields": ["objectives"], "documents": ["deliberation"]}
        )

    def declare_ineligible(self, case: Case) -> None:
        self._instruct(case, "declare_ineligible")

    def reopen(self, case: Case) -> None:
        self._instruct(case, "reopen_instruction")

    def complete(self, case: Case, *, favourable: bool = True) -> None:
        """Scores (full marks, or below the minimum) and the formula's amount as the proposal."""
        dossier = self.refresh(case)
        opinion = ready_for_completion(dossier, by=self.instructeur, favourable=favourable)
        data = {"opinion": opinion, "proposed_amount": str(case.project.grant)}
        motivation = "" if favourable else self.motivation("unfavourable")
        perform(dossier, "complete_instruction", by=self.instructeur, data=data, motivation=motivation)

    # ---- the committee ----------------------------------------------------------------------------

    def new_session(self, campaign, *, days: int, cases: list[Case]) -> Session:
        """A session ``days`` ahead (its start: the clock's now + ``days``) with ``cases`` on its agenda."""
        session = self.committee.session(campaign, days=days)
        self.committee.place_on_agenda([self.refresh(c) for c in cases], session)
        return session

    def convene(self, session: Session) -> None:
        convocation.send_convocation(Session.objects.get(pk=session.pk), by=self.admin)

    def sit(self, session: Session, outcomes: dict) -> None:
        """The sitting: opened at its start, everyone present; each item in the agenda's order is
        voted and decided (``outcomes``: dossier pk → ``"approve"``, ``("approve", amended
        amount)``, ``"reject"`` or ``"defer"``); then the chair closes the session (minutes)."""
        session = self.committee.sit(session)
        for item in (
            AgendaItem.objects.filter(session=session).select_related("session", "dossier").order_by("rank")
        ):
            clock.advance(minutes=SPEAKING_MINUTES)  # the rapporteur presents the dossier, the members debate
            outcome = outcomes[item.dossier_id]
            if isinstance(outcome, tuple):
                self.committee.vote(
                    item, "approve", amount=outcome[1], motivation=self.motivation("approve_amended")
                )
            elif outcome == "reject":
                self.committee.vote(item, "reject", motivation=self.motivation("reject"))
            elif outcome == "defer":
                self.committee.vote(item, "defer", motivation=self.motivation("defer"))
            else:
                self.committee.vote(item, "approve")
        decisions.close_session(Session.objects.get(pk=session.pk), by=self.chair)

    # ---- finance -----------------------------------------------------------------------------------

    def certify(self, case: Case) -> None:
        details = BankDetails.objects.get(commune=case.commune)
        if not details.is_certified:
            bank.certify_bank_details(case.commune, by=self.finance)

    def order(self, case: Case, kind: str) -> PaymentOrder:
        return PaymentOrder.objects.filter(dossier=case.dossier, kind=kind).order_by("-pk").first()

    def build_batch(self, cases: list[Case], kind: str = OrderKind.ADVANCE) -> Batch:
        """A batch of the ``kind`` orders of ``cases``: built (SEPA file), exported, sent to the bank."""
        result = batches.build_batch(by=self.finance, order_ids=[self.order(c, kind).pk for c in cases])
        batches.export_batch(result.batch, by=self.finance)
        return execution.mark_batch_sent(result.batch, by=self.finance)

    def record_execution(self, batch: Batch) -> None:
        execution.record_execution(Batch.objects.get(pk=batch.pk), by=self.finance)

    def accept_report(self, case: Case) -> None:
        settlement.accept_final_report(case.dossier, self.finance)

    def recovery_received(self, case: Case) -> None:
        recovery.record_recovery_received(self.order(case, OrderKind.RECOVERY), by=self.finance)


def public_summary(dossier: Dossier) -> str:
    """The summary a mayor would publish: what the young people do, with whom, no names."""
    partner = dossier.jumelage.partner if dossier.jumelage_id else None
    town = f" avec {partner.name}" if partner else ""
    return (
        f"« {dossier.title} » : les jeunes de {dossier.commune.name} préparent ensemble un échange{town}, "
        "avec des activités partagées, des visites et une restitution publique à leur retour."
    )
