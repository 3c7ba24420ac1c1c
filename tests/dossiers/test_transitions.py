"""The dossier state machine, table-driven: every (status, transition, actor) combination.

The expected outcome is computed from the contract table of the foundation issue (written out
below, independently of the model's decorators), so a drifting decorator fails the test.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from fonds.audit.models import AuditEvent
from fonds.comite.models import AgendaItem, Session
from fonds.comite.testing import Committee
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import (
    TransitionRefused,
    acting_role,
    available_transitions,
    perform,
    status_label,
    transition_meta,
    transition_names,
)
from fonds.dossiers.states import Forum, Status
from fonds.suivi.testing import travel_after_project
from tests.factories import make_campaign, make_commune, make_dossier, make_jumelage, make_user

S = Status
F = Forum
PORTEUR = {F.DOSSIER: {"porteur"}}
INSTRUCTEUR = {F.DOSSIER: {"instructeur"}}
SITTING = {F.COMMITTEE_SITTING: {"comite"}}
PAYMENTS = {F.PAYMENTS: {"finance"}}
DEADLINE = {F.SYSTEM: {"system"}}
# transition: (sources, target, {forum: roles allowed there}) — the public contract (issue 13:
# every transition has a forum, and only its forum fires it)
CONTRACT = {
    "submit": ({S.DRAFT}, S.SUBMITTED, PORTEUR),
    "withdraw": (
        {S.DRAFT, S.SUBMITTED, S.IN_INSTRUCTION, S.CORRECTIONS_REQUESTED, S.INSTRUCTED},
        S.WITHDRAWN,
        PORTEUR,
    ),
    "start_instruction": ({S.SUBMITTED}, S.IN_INSTRUCTION, INSTRUCTEUR),
    "request_corrections": ({S.IN_INSTRUCTION}, S.CORRECTIONS_REQUESTED, INSTRUCTEUR),
    "resubmit": ({S.CORRECTIONS_REQUESTED}, S.IN_INSTRUCTION, PORTEUR),
    "expire_corrections": ({S.CORRECTIONS_REQUESTED}, S.CLOSED_WITHOUT_FOLLOW_UP, DEADLINE),
    "declare_ineligible": ({S.SUBMITTED, S.IN_INSTRUCTION}, S.INELIGIBLE, INSTRUCTEUR),
    "complete_instruction": ({S.IN_INSTRUCTION}, S.INSTRUCTED, INSTRUCTEUR),
    "reopen_instruction": ({S.INSTRUCTED}, S.IN_INSTRUCTION, INSTRUCTEUR),
    "schedule": ({S.INSTRUCTED}, S.IN_COMMITTEE, {F.DOSSIER: {"instructeur", "admin"}}),
    "unschedule": (
        {S.IN_COMMITTEE},
        S.INSTRUCTED,
        {F.DOSSIER: {"instructeur", "admin"}, F.SYSTEM: {"system"}},
    ),
    "approve": ({S.IN_COMMITTEE}, S.APPROVED, SITTING),
    "reject": ({S.IN_COMMITTEE}, S.REJECTED, SITTING),
    "waitlist": ({S.IN_COMMITTEE}, S.WAITLISTED, SITTING),
    "defer": ({S.IN_COMMITTEE}, S.INSTRUCTED, SITTING),
    "promote": ({S.WAITLISTED}, S.APPROVED, {F.WAITING_LIST: {"system"}}),
    "accept_agreement": ({S.APPROVED}, S.AGREEMENT_SIGNED, PORTEUR),
    "renounce": ({S.APPROVED, S.AGREEMENT_SIGNED}, S.RENOUNCED, PORTEUR),
    "lapse": ({S.APPROVED}, S.LAPSED, DEADLINE),
    "pay_advance": ({S.AGREEMENT_SIGNED}, S.ADVANCE_PAID, PAYMENTS),
    "submit_report": ({S.ADVANCE_PAID}, S.REPORT_SUBMITTED, PORTEUR),
    "settle": ({S.REPORT_SUBMITTED}, S.CLOSED, PAYMENTS),
    "recover": ({S.RECOVERY_PENDING}, S.CLOSED, PAYMENTS),
}
ACTORS = [
    "porteur",
    "porteur_other_commune",
    "instructeur",
    "comite",
    "finance",
    "auditeur",
    "admin",
    "system",
]
DATA = {"settle": {"balance": "150.00"}}
#: decisions a bare ``perform`` cannot take even from their forum: they need a sitting's agenda item
NEEDS_A_SITTING = {"approve", "reject", "waitlist", "defer"}


def test_contract_lists_every_transition_of_the_model():
    assert set(CONTRACT) == set(transition_names())


def test_contract_is_the_models_declaration():
    for name, (_sources, _target, forums) in CONTRACT.items():
        declared = transition_meta(name)["custom"]["forums"]
        assert {f: set(roles) for f, roles in declared.items()} == forums, name


def _expected(name, status, actor, forum):
    sources, target, forums = CONTRACT[name]
    if actor == "porteur_other_commune":
        return "not_found", None
    if status not in sources:
        return "status", None
    if forum not in forums:
        return "forum", None
    if actor not in forums[forum]:
        return "role", None
    return "ok", target


@pytest.fixture
def world(db):
    commune = make_commune(population=900)
    other = make_commune(population=1200)
    actors = {
        "porteur": make_user("porteur", commune=commune),
        "porteur_other_commune": make_user("porteur", commune=other),
        "instructeur": make_user("instructeur"),
        "comite": make_user("comite"),
        "finance": make_user("finance"),
        "auditeur": make_user("auditeur"),
        "admin": make_user("admin"),
        "system": None,
    }
    dossier = make_dossier(commune=commune, porteur=actors["porteur"], proposed_amount="5000.00")
    return dossier, actors


def _data(name, dossier):
    """What the transition needs besides the dossier: a planned session to schedule it on; for
    unschedule, the dossier on that session's agenda (test setup)."""
    if name in ("schedule", "unschedule"):
        session = Session.objects.filter(campaign=dossier.campaign).first() or Committee(
            admin=make_user("admin"), chair=make_user("comite")
        ).session(dossier.campaign)
        if name == "unschedule":
            AgendaItem.objects.get_or_create(session=session, dossier=dossier, defaults={"rank": 1})
            return None
        return {"session": session.pk}
    return DATA.get(name)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s.value for s in Status])
@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_transition_matrix(world, status, name, clock):
    """Every (status, transition, actor, forum): fired as declared, refused otherwise, by the
    first rule that fails — visibility, status, forum, role."""
    dossier, actors = world
    if name in ("submit_report", "settle"):
        travel_after_project(clock, dossier)  # a final report and its balance come after the trip
    for forum in Forum:
        for actor in ACTORS:
            _attempt(dossier, actors, status, name, actor, forum)


def _attempt(dossier, actors, status, name, actor, forum):
    Dossier.objects.filter(pk=dossier.pk).update(status=status)  # test setup only
    data = _data(name, dossier)
    before_events = AuditEvent.objects.count()
    expected, target = _expected(name, status, actor, forum)
    motivation = "Motivation écrite de la décision."
    if expected == "ok" and name in NEEDS_A_SITTING:
        expected = "forum"  # from its forum, without an agenda item of a sitting session: still refused
    if expected == "ok":
        with transaction.atomic():
            if name == "complete_instruction":  # the grid scored and the verdicts settled (fonds.instruction)
                from fonds.instruction.testing import ready_for_completion

                data = {"opinion": ready_for_completion(dossier, by=actors[actor])}
                result = perform(
                    dossier.pk, name, by=actors[actor], motivation=motivation, data=data, forum=forum
                )
            elif name == "accept_agreement":  # the convention read and accepted under a name (fonds.suivi)
                from fonds.suivi.testing import acceptance_data

                Dossier.objects.filter(pk=dossier.pk).update(approved_amount=dossier.proposed_amount)
                dossier.refresh_from_db()
                result = perform(
                    dossier.pk,
                    name,
                    by=actors[actor],
                    motivation=motivation,
                    data=acceptance_data(dossier),
                    forum=forum,
                )
            elif name == "submit_report":  # a complete final report (fonds.suivi)
                from fonds.suivi.testing import file_complete_report

                dossier.refresh_from_db()
                file_complete_report(dossier, by=actors[actor])
                result = perform(dossier.pk, name, by=actors[actor], motivation=motivation, forum=forum)
            else:
                result = perform(
                    dossier.pk, name, by=actors[actor], motivation=motivation, data=data, forum=forum
                )
            assert result.status == target, (name, status, actor, forum)
            names = list(AuditEvent.objects.filter(seq__gt=before_events).values_list("action", flat=True))
            assert name in names and names.count(name) == 1
            assert (
                AuditEvent.objects.get(seq__gt=before_events, action=name).data["payload"]["forum"] == forum
            )
            transaction.set_rollback(True)  # the next attempt starts from the same dossier
    else:
        with pytest.raises(TransitionRefused) as refused:
            perform(dossier.pk, name, by=actors[actor], motivation=motivation, data=data, forum=forum)
        assert refused.value.kind == expected, (name, status, actor, forum, refused.value)
        assert refused.value.message  # French, never empty
        if expected == "forum":
            home = next(iter(CONTRACT[name][2]))
            assert refused.value.code == f"forum_{home}" and refused.value.http_status == 409
        assert Dossier.objects.get(pk=dossier.pk).status == status
        assert AuditEvent.objects.count() == before_events, "a refused transition writes no audit event"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name,status,actor",
    [
        ("declare_ineligible", S.SUBMITTED, "instructeur"),
        ("request_corrections", S.IN_INSTRUCTION, "instructeur"),
        ("reject", S.IN_COMMITTEE, "comite"),
        ("reopen_instruction", S.INSTRUCTED, "instructeur"),
        ("expire_corrections", S.CORRECTIONS_REQUESTED, "system"),
        ("lapse", S.APPROVED, "system"),
    ],
)
def test_motivation_required_refuses_empty_one(world, name, status, actor):
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    before = AuditEvent.objects.count()
    forum = next(iter(CONTRACT[name][2]))
    for empty in ("", "   \n"):
        with pytest.raises(TransitionRefused) as refused:
            perform(dossier.pk, name, by=actors[actor], motivation=empty, forum=forum)
        assert refused.value.kind == "motivation" and refused.value.http_status == 400
    assert Dossier.objects.get(pk=dossier.pk).status == status
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_settle_with_negative_balance_goes_to_recovery_pending(world, clock):
    dossier, actors = world
    travel_after_project(clock, dossier)
    Dossier.objects.filter(pk=dossier.pk).update(status=S.REPORT_SUBMITTED)
    assert (
        perform(
            dossier.pk, "settle", by=actors["finance"], data={"balance": "-320.50"}, forum=F.PAYMENTS
        ).status
        == S.RECOVERY_PENDING
    )


@pytest.mark.django_db
def test_settle_refuses_amount_with_three_decimals(world):
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=S.REPORT_SUBMITTED)
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier.pk, "settle", by=actors["finance"], data={"balance": "10.005"}, forum=F.PAYMENTS)
    assert refused.value.kind == "condition"


@pytest.mark.django_db
def test_committee_member_who_instructed_the_dossier_cannot_vote_on_it(world):
    dossier, actors = world
    both = make_user(["instructeur", "comite"])
    Dossier.objects.filter(pk=dossier.pk).update(status=S.SUBMITTED)
    perform(dossier.pk, "start_instruction", by=both)
    Dossier.objects.filter(pk=dossier.pk).update(status=S.IN_COMMITTEE)
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier.pk, "approve", by=both, forum=F.COMMITTEE_SITTING)
    assert refused.value.kind == "role"


@pytest.mark.django_db
def test_status_field_is_protected():
    dossier = make_dossier()
    with pytest.raises(AttributeError):
        dossier.status = S.APPROVED


@pytest.mark.django_db
def test_audit_event_records_from_to_motivation_and_rules_version(world):
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=S.SUBMITTED)
    perform(
        dossier.pk,
        "declare_ineligible",
        by=actors["instructeur"],
        motivation="Population supérieure au seuil.",
    )
    event = AuditEvent.objects.filter(action="declare_ineligible").get()
    body = event.data
    assert body["payload"]["from"] == "submitted" and body["payload"]["to"] == "ineligible"
    assert body["payload"]["motivation"] == "Population supérieure au seuil."
    assert body["payload"]["rules_version"] == 1
    assert body["actor"] == {
        "id": actors["instructeur"].pk,
        "label": actors["instructeur"].email,
        "role": "instructeur",
    }
    assert event.object_type == "dossiers.dossier" and event.object_id == str(dossier.pk)


# ---- the dossier's own content rules (fonds/dossiers/models.py, mutated with the state machine) ----


def _content_errors(dossier, **changes) -> set:
    """The fields ``Dossier.clean`` refuses once ``changes`` are made (the dossier read afresh)."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    for name, value in changes.items():
        setattr(dossier, name, value)
    try:
        dossier.clean()
    except ValidationError as error:
        return set(error.message_dict)
    return set()


@pytest.mark.django_db
def test_last_day_never_before_the_first_day():
    """E5: the project's last day is its first day or later (checked once both are given)."""
    dossier = make_dossier()
    first = dossier.start_date
    assert _content_errors(dossier, end_date=first) == set()
    assert _content_errors(dossier, end_date=first - dt.timedelta(days=1)) == {"end_date"}
    assert _content_errors(dossier, start_date=None, end_date=first - dt.timedelta(days=1)) == set()


@pytest.mark.django_db
def test_nights_in_host_families_never_exceed_the_nights():
    """The nights hosted by families are some of the project's nights, never more."""
    dossier = make_dossier(nights=8, nights_hosted=0)
    assert _content_errors(dossier, nights_hosted=8) == set()
    assert _content_errors(dossier, nights_hosted=9) == {"nights_hosted"}
    assert _content_errors(dossier, nights_hosted=None) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["youth_ages", "leader_ages"])
def test_ages_are_whole_years_from_0_to_120(field):
    """Each participant's age is a whole number of years, 0 to 120 (E4 then reads them)."""
    dossier = make_dossier(youth_fewer_opportunities=0, youth_first_travel=0)
    assert field not in _content_errors(dossier, **{field: [0, 17, 120]})
    for wrong in ([-1], [121], [17, True], [14.5], "14, 15"):
        assert field in _content_errors(dossier, **{field: wrong}), wrong


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["youth_ages", "leader_ages"])
def test_at_most_500_participants_of_each_kind(field):
    """A dossier lists at most 500 young participants and at most 500 leaders."""
    dossier = make_dossier()
    assert field not in _content_errors(dossier, **{field: [18] * 500})
    assert field in _content_errors(dossier, **{field: [18] * 501})


@pytest.mark.django_db
def test_jumelage_of_the_dossier_is_one_of_its_communes():
    """E2: the twinning named on a dossier belongs to the dossier's commune, no other."""
    before = make_commune()
    dossier = make_dossier()
    after = make_commune()
    assert before.pk < dossier.commune_id < after.pk
    assert _content_errors(dossier) == set()  # its own, read from the database
    for other in (before, after):
        assert _content_errors(dossier, jumelage=make_jumelage(other)) == {"jumelage"}, other.pk


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["youth_fewer_opportunities", "youth_first_travel"])
def test_youth_counts_never_exceed_the_young_participants(field):
    """Young people with fewer opportunities, or travelling abroad for the first time, are some of
    the young participants: never more than they (none when the ages are not a list)."""
    dossier = make_dossier(youth_ages=[15] * 8, youth_fewer_opportunities=0, youth_first_travel=0)
    assert _content_errors(dossier, **{field: 8}) == set()
    assert _content_errors(dossier, **{field: 9}) == {field}
    assert _content_errors(dossier, youth_ages=[], **{field: 0}) == set()
    assert _content_errors(dossier, youth_ages=[], **{field: 1}) == {field}
    assert _content_errors(dossier, youth_ages="huit", **{field: 0}) == {"youth_ages"}
    assert _content_errors(dossier, youth_ages="huit", **{field: 1}) == {"youth_ages", field}


@pytest.mark.django_db
def test_travellers_are_the_young_participants_and_their_leaders():
    """T = travellers × band amount: the travellers are the young participants plus the leaders."""
    dossier = make_dossier(youth_ages=[15] * 9, leader_ages=[30, 40, 50], youth_fewer_opportunities=0)
    assert (dossier.youth_count, dossier.leader_count, dossier.travellers) == (9, 3, 12)
    dossier.youth_ages, dossier.leader_ages = None, None
    assert (dossier.youth_count, dossier.leader_count, dossier.travellers) == (0, 0, 0)


# ---- the transition table's own rules (fonds/dossiers/models.py, transitions.py) -----------


@pytest.mark.django_db
def test_dossier_number_is_fjj_its_campaign_year_and_six_digits():
    """A dossier's number reads FJJ-<year of its campaign>-<six-digit sequence>, set when it is created."""
    campaign = make_campaign(year=2031)
    dossier = make_dossier(campaign=campaign)
    assert dossier.reference == f"FJJ-{campaign.year}-{dossier.pk:06d}"
    assert Dossier.objects.get(pk=dossier.pk).reference == dossier.reference


@pytest.mark.django_db
def test_balance_below_zero_by_a_cent_asks_for_recovery_a_zero_balance_closes(world, clock):
    """Balance = recomputed grant − advance: when negative a recovery order follows (recovery
    pending); zero or more, the dossier is closed (soldé)."""
    dossier, actors = world
    travel_after_project(clock, dossier)
    for balance, target in (("-0.01", S.RECOVERY_PENDING), ("0.00", S.CLOSED), ("0.01", S.CLOSED)):
        with transaction.atomic():
            Dossier.objects.filter(pk=dossier.pk).update(status=S.REPORT_SUBMITTED)
            done = perform(
                dossier.pk, "settle", by=actors["finance"], data={"balance": balance}, forum=F.PAYMENTS
            )
            assert done.status == target, balance
            transaction.set_rollback(True)


@pytest.mark.django_db
def test_unknown_transition_is_refused_by_name(world):
    """Only the transitions of the table exist: any other name is refused, and says which."""
    dossier, actors = world
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier.pk, "approve_everything", by=actors["admin"])
    assert refused.value.kind == "unknown" and "approve_everything" in refused.value.message


@pytest.mark.django_db
def test_porteur_acts_only_on_its_own_communes_dossiers_whatever_its_other_roles(world):
    """A porteur is bound to one commune: holding a role that sees every dossier does not let
    them act as porteur on another commune's dossier, before or after theirs in the list."""
    dossier, _actors = world
    before, after = make_commune(code="00001"), make_commune(code="99999")
    for commune in (before, after):
        mayor_and_instructor = make_user(["porteur", "instructeur"], commune=commune)
        with pytest.raises(TransitionRefused) as refused:
            perform(dossier.pk, "submit", by=mayor_and_instructor)
        assert refused.value.kind == "role", commune.pk
    assert Dossier.objects.get(pk=dossier.pk).status == S.DRAFT


@pytest.mark.django_db
def test_submission_records_the_rule_version_the_dossier_is_filed_under(world):
    """A decision records the rule version it was taken under: a dossier is filed, when submitted,
    under the campaign's version then in force."""
    dossier, actors = world
    assert dossier.rules_version is None
    perform(dossier.pk, "submit", by=actors["porteur"])
    assert Dossier.objects.get(pk=dossier.pk).rules_version == dossier.campaign.rules.version


@pytest.mark.django_db
@pytest.mark.parametrize("name,status", [("approve", S.IN_COMMITTEE), ("promote", S.WAITLISTED)])
def test_award_is_the_proposed_amount_unless_another_is_decided(world, name, status):
    """Approved (or promoted from the waiting list): the amount is the proposal unless the decision
    gives another one (the transition method alone, as the committee and the waiting list fire it)."""
    dossier, _actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    for amount, expected in ((None, Decimal("5000.00")), (Decimal("4200.00"), Decimal("4200.00"))):
        awarded = Dossier.objects.get(pk=dossier.pk)
        getattr(awarded, name)(amount=amount)  # not saved
        assert awarded.approved_amount == expected, (name, amount)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,name,forum",
    [
        ("instructeur", "complete_instruction", F.DOSSIER),
        ("admin", "schedule", F.DOSSIER),
        ("finance", "pay_advance", F.PAYMENTS),
        ("comite", "approve", F.COMMITTEE_SITTING),
    ],
)
def test_only_the_committee_role_is_barred_from_the_dossier_its_holder_instructed(world, role, name, forum):
    """Never instruct and vote on the same dossier: the dossier's instructor may not vote on it as a
    committee member, and that is all — under any other role they hold (instructeur, admin, finance,
    an instructor moved to another role since) they act on it as anyone holding that role."""
    dossier, _actors = world
    before = make_user(role)
    instructor = make_user(role, id=5000)  # ids as a database has them after a while (not 1, 2, 3…)
    after = make_user(role, id=6000)
    Dossier.objects.filter(pk=dossier.pk).update(instructor=instructor)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert acting_role(instructor, name, dossier, forum) == (None if role == "comite" else role)
    for other in (before, after):  # not the instructor: created before them, or after
        assert acting_role(other, name, dossier, forum) == role, other.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status,actor,expected",
    [
        (S.DRAFT, "porteur", ["submit", "withdraw"]),
        (S.DRAFT, "instructeur", []),
        (S.SUBMITTED, "instructeur", ["start_instruction", "declare_ineligible"]),
        (S.SUBMITTED, "porteur", ["withdraw"]),
        (S.IN_COMMITTEE, "admin", ["unschedule"]),
        (S.IN_COMMITTEE, "comite", []),  # decided in a sitting, not from the dossier
        (S.APPROVED, "porteur", ["renounce", "accept_agreement"]),
    ],
)
def test_dossier_lists_only_what_its_status_lets_this_role_do_from_the_dossier(
    world, status, actor, expected
):
    """The dossier's page and API offer exactly the transitions whose source is the dossier's
    status and that the user's role may fire from the dossier (in the table's order), each with its
    label, whether it needs a motivation, and the confirmation to show."""
    dossier, actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    dossier.refresh_from_db()
    offered = available_transitions(dossier, actors[actor])
    assert [t["name"] for t in offered] == [n for n in transition_names() if n in expected]
    assert {t["name"] for t in offered} == set(expected)
    for entry in offered:
        custom = transition_meta(entry["name"])["custom"]
        assert entry == {
            "name": entry["name"],
            "label": custom["label"],
            "needs_motivation": custom["needs_motivation"],
            "confirm": custom["confirm"],
        }


def test_refusal_names_the_status_in_french_and_an_unknown_code_as_it_is():
    """A refusal says which status the dossier is in, by its French label; a code that is not a
    status (an old export, a typo) is shown as it is rather than failing."""
    assert status_label("submitted") == "Déposé"
    assert status_label(S.RECOVERY_PENDING) == "Reversement demandé"
    assert status_label("archived") == "archived"


@pytest.mark.django_db
def test_instruction_completes_with_the_instructors_opinion_and_proposed_amount(world):
    """Completing the instruction records the instructor's opinion and proposed amount when given,
    and keeps those already recorded when not (the transition method alone, as ``perform`` fires it)."""
    dossier, _actors = world
    Dossier.objects.filter(pk=dossier.pk).update(status=S.IN_INSTRUCTION, opinion="unfavourable")
    given = Dossier.objects.get(pk=dossier.pk)
    given.complete_instruction(opinion="favourable", proposed_amount=Decimal("4200.00"))  # not saved
    assert (given.status, given.opinion, given.proposed_amount) == (
        S.INSTRUCTED,
        "favourable",
        Decimal("4200.00"),
    )
    kept = Dossier.objects.get(pk=dossier.pk)
    kept.complete_instruction()
    assert (kept.opinion, kept.proposed_amount) == ("unfavourable", Decimal("5000.00"))


@pytest.mark.django_db
def test_new_dossier_carries_its_communes_name_and_population_at_once():
    """The commune's name and population are copied onto a new dossier (sort keys of the
    instructors' list): the saved object has them, not only the row the database wrote."""
    commune = make_commune(population=1234)
    dossier = make_dossier(commune=commune)
    assert (dossier.commune_name, dossier.commune_population) == (commune.name, 1234)
    stored = Dossier.objects.values_list("commune_name", "commune_population").get(pk=dossier.pk)
    assert stored == (commune.name, 1234)
