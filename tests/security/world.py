"""One "world" for the permission matrix and the schemathesis run: a user per role and objects in
the states the routes need, built through the packages' services (as their own tests do).

Commune A holds every dossier; commune B's porteur is the "porteur of another commune". The
committee chair plays the ``comite`` role; another member, who declared a conflict on the agenda
item, plays ``comite_recused``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from tests.factories import make_campaign, make_commune, make_dossier, make_user

ROLES = (
    "anonymous",
    "porteur",
    "other_porteur",
    "instructeur",
    "comite",
    "comite_recused",
    "finance",
    "auditeur",
    "admin",
    "expert",
)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
BIC = "AGRIFRPP"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _at(dossier, status, **fields):
    """Test setup only (as tests/payments/conftest.py ``at_status``): later steps go through services."""
    Dossier.objects.filter(pk=dossier.pk).update(status=status, **fields)
    dossier.refresh_from_db()
    return dossier


def after_trip(dossier) -> dt.date:
    """The day after the project's last day: its final report may be filed and accepted."""
    return dossier.end_date + dt.timedelta(days=1)


def build_world() -> World:
    from fonds.bulk import services as bulk
    from fonds.comite import composition, convocation, proxies, sessions
    from fonds.comite import sitting as comite_sitting
    from fonds.depot.account_admin import import_jobs
    from fonds.instruction import services as instruction
    from fonds.instruction.testing import ready_for_completion
    from fonds.payments.bank import certify_bank_details, set_bank_details
    from fonds.payments.batches import build_batch
    from fonds.payments.execution import mark_batch_sent, record_execution
    from fonds.payments.settlement import accept_final_report
    from fonds.proof.models import CampaignArchive
    from fonds.reporting import exports
    from fonds.suivi.services import planned_report, save_report_draft
    from fonds.suivi.testing import SIGNED_LIST_PDF, acceptance_data

    w = World()
    commune = make_commune(population=850, name="Saint-Exemple")
    other = make_commune(population=1200, name="Autre-Commune")
    u = w.users
    u["porteur"] = make_user("porteur", commune=commune, first_name="Marie", last_name="Maire")
    u["other_porteur"] = make_user("porteur", commune=other)
    u["instructeur"] = make_user("instructeur")
    u["comite"] = make_user("comite", first_name="Claire", last_name="Présidente")
    u["comite_recused"] = make_user("comite", first_name="Rémi", last_name="Récusé")
    member3 = make_user("comite")
    u["finance"] = make_user("finance")
    u["auditeur"] = make_user("auditeur")
    u["admin"] = make_user("admin", is_staff=True)
    porteur, instructeur, admin, finance = u["porteur"], u["instructeur"], u["admin"], u["finance"]
    o = w.objects
    o["commune"], o["other_commune"] = commune, other

    # -- front office: a draft, a submitted dossier
    campaign = make_campaign()
    o["campaign"] = campaign
    o["draft"] = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
    submitted = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    perform(submitted, "submit", by=porteur)
    from fonds.depot.tasks import generate_receipt

    generate_receipt(submitted.pk)  # queued on commit, which never comes in a test transaction
    o["submitted"] = submitted

    # -- instruction: a dossier in instruction with its eligibility run, a note, a saved filter
    in_instr = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    perform(in_instr, "submit", by=porteur)
    perform(in_instr, "start_instruction", by=instructeur)
    run = instruction.recheck_eligibility(in_instr, by=instructeur)
    o["in_instruction"] = in_instr
    o["verdict"] = run.verdicts.order_by("pk").first()
    o["document"] = in_instr.documents.order_by("pk").first()
    instruction.add_note(in_instr, by=instructeur, body="Note privée de l'instructeur.")
    o["saved_filter"] = instruction.save_filter(instructeur, "Déposés", "status=submitted")
    o["bulk_job"] = bulk.create_job(
        user=instructeur,
        action="start_instruction",
        querystring="status=submitted",
        params={},
        dossier_ids=[submitted.pk],
    )

    # a dossier awaiting the porteur's corrections
    corrections = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    perform(corrections, "submit", by=porteur)
    perform(corrections, "start_instruction", by=instructeur)
    perform(
        corrections,
        "request_corrections",
        by=instructeur,
        motivation="Merci de joindre la délibération signée.",
        data={"fields": ["youth_ages"], "documents": ["deliberation"]},
    )
    o["corrections"] = corrections

    # -- committee: an instructed dossier on the agenda of a sitting session, one member recused
    com_campaign = make_campaign(envelope=Decimal("20000.00"))
    in_committee = make_dossier(campaign=com_campaign, commune=commune, porteur=porteur)
    perform(in_committee, "submit", by=porteur)
    perform(in_committee, "start_instruction", by=instructeur)
    opinion = ready_for_completion(in_committee, by=instructeur)
    perform(in_committee, "complete_instruction", by=instructeur, data={"opinion": opinion})
    members = [u["comite"], u["comite_recused"], member3]
    composition.appoint(com_campaign, by=admin, members=members)  # the campaign's committee
    o["member3"] = member3
    session = sessions.create_session(
        com_campaign,
        by=admin,
        starts_at=clock.now() + dt.timedelta(days=10),
        chair=u["comite"],
        place="Salle du conseil",
    )
    convocation.build_agenda(session, by=admin)
    item = session.items.get(dossier=in_committee)
    proxies.declare_conflict(
        item, member=u["comite_recused"], reason="Élu de la commune voisine, partenaire du projet."
    )
    convocation.send_convocation(session, by=admin)
    with clock.travel(session.starts_at):  # a session sits on its date
        comite_sitting.open_sitting(session, by=u["comite"])
        comite_sitting.record_attendance(session, by=u["comite"], presence={m: "present" for m in members})
    session.refresh_from_db()
    in_committee.refresh_from_db()
    o["session"], o["item"], o["in_committee"] = session, item, in_committee

    # -- approved (convention to accept) and signed dossiers; bank details certified; a ready batch
    approved = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    _at(
        approved,
        Status.APPROVED,
        approved_amount=Decimal("5670.00"),
        proposed_amount=Decimal("5670.00"),
        agreement_due=clock.now() + dt.timedelta(days=30),
    )
    acceptance_data(approved)  # generates the convention
    o["approved"] = approved
    o["generated_document"] = approved.generated_documents.order_by("pk").first()

    set_bank_details(
        commune,
        by=porteur,
        iban=IBAN,
        bic=BIC,
        holder="Commune de Saint-Exemple",
        rib_document=approved.documents.get(kind="rib"),
    )
    certify_bank_details(commune, by=finance)

    def signed():
        d = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
        _at(
            d,
            Status.APPROVED,
            approved_amount=Decimal("5670.00"),
            proposed_amount=Decimal("5670.00"),
            agreement_due=clock.now() + dt.timedelta(days=30),
        )
        perform(d, "accept_agreement", by=porteur, data=acceptance_data(d))
        d.refresh_from_db()
        return d

    def paid():
        d = signed()
        advance = d.payment_orders.get(kind="advance")
        executed = build_batch(by=finance, order_ids=[advance.pk]).batch
        mark_batch_sent(executed, by=finance)
        with clock.travel(executed.execution_date):  # an execution is recorded on the requested date
            record_execution(executed, by=finance)
        d.refresh_from_db()
        return d, advance, executed

    def paid_and_reported(**report_fields):
        d, advance, executed = paid()
        fields, lines = planned_report(d)
        fields["activity_report"] = "Le projet s'est déroulé comme prévu."
        fields.update(report_fields)
        with clock.travel(after_trip(d)):  # a final report is filed once the trip has happened
            save_report_draft(
                d, by=porteur, fields=fields, lines=lines, participant_list=("liste.pdf", SIGNED_LIST_PDF)
            )
            perform(d, "submit_report", by=porteur)
        d.refresh_from_db()
        return d, advance, executed

    # advance paid, final report still to file
    o["paid"] = paid()[0]
    # paid advance, final report submitted (to accept), through an executed batch
    o["reported"], o["paid_order"], o["executed_batch"] = paid_and_reported()
    # a report with fewer participants, accepted: a recovery order (contradictory step)
    recovered, _, _ = paid_and_reported(youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    with clock.travel(after_trip(recovered)):
        accept_final_report(recovered, finance)
    recovered.refresh_from_db()
    o["recovery_dossier"] = recovered
    o["recovery"] = recovered.payment_orders.get(kind="recovery")

    # an order in a ready batch (not sent)
    signed_dossier = signed()
    o["signed"] = signed_dossier
    o["order"] = signed_dossier.payment_orders.get(kind="advance")
    o["batch"] = build_batch(by=finance, order_ids=[o["order"].pk]).batch

    # -- reporting: a finished export job
    job = exports.create_job(u["auditeur"], "xlsx", campaign=campaign)
    exports.build_job(job.pk)
    job.refresh_from_db()
    o["export_job"] = job
    # -- a campaign archive asked for, not built (building it makes every complete PDF: slow)
    o["campaign_archive"] = CampaignArchive.objects.create(campaign=campaign, created_by=u["auditeur"])

    # -- accounts administration: a CSV import checked, not confirmed
    o["invitation_import"] = import_jobs.create(
        "agents", "nouvel.agent@fjj.fr;Ida Martin;instructeur\n", by=u["admin"]
    )

    # -- expert opinions (issue 20): the expert is asked about the dossier in instruction (pending)
    # and the one in committee (answered, shared, with an attachment); another expert about the
    # submitted dossier — never readable by the first
    from fonds.avis import services as avis
    from fonds.avis.models import AvisRequest
    from tests.factories import PDF_BYTES

    deadline = clock.today() + dt.timedelta(days=15)
    asked = dict(
        by=instructeur, question="La commune est-elle en mesure de porter ce projet ?", deadline=deadline
    )
    o["avis"] = avis.request_avis(in_instr, email="expert@prefecture.gouv.fr", **asked)
    u["expert"] = o["avis"].expert
    answered = avis.request_avis(
        in_committee, email="expert@prefecture.gouv.fr", visibility=AvisRequest.Visibility.COMMITTEE, **asked
    )
    o["answered_avis"] = avis.answer_avis(
        answered, by=u["expert"], text="Avis favorable.", attachment=("avis.pdf", PDF_BYTES)
    )
    o["foreign_avis"] = avis.request_avis(submitted, email="ambassade@diplomatie.gouv.fr", **asked)
    o["expert_document"] = in_instr.documents.exclude(kind="rib").order_by("pk").first()

    # -- account links for the porteur (invitation, password reset)
    o["uidb64"] = urlsafe_base64_encode(force_bytes(porteur.pk))
    o["token"] = default_token_generator.make_token(porteur)
    return w
