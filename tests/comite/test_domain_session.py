"""Committee sessions through the services: agenda, convocation, proxies, attendance, recusal,
votes and outcomes (no HTTP)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite import convocation as comite_convocation
from fonds.comite import counting, decisions, queries
from fonds.comite import proxies as comite_proxies
from fonds.comite import reading as comite_reading
from fonds.comite import sessions as comite_sessions
from fonds.comite import sitting as comite_sitting
from fonds.comite import votes as comite_votes
from fonds.comite.errors import ComiteRefused
from fonds.comite.models import AgendaItem, ConflictDeclaration, Proxy, Session, Vote
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import make_campaign, make_user

from .conftest import at_start, instructed_dossier, new_session, sitting, vote_all


@pytest.fixture
def committee(db):
    """The committee of ``conftest`` (a campaign, an admin, a chair and four members, in this order
    of creation), its accounts numbered above 256 as in production: CPython keeps one object per
    int up to 256, so with small ids two reads of one id are one object and an identity test
    (``is``) written in place of ``==`` would pass unseen."""
    ids = iter(range(100_001, 100_100))
    campaign = make_campaign(envelope=Decimal("20000.00"))
    admin = make_user("admin", id=next(ids), first_name="Alice", last_name="Admin")
    chair = make_user("comite", id=next(ids), first_name="Claire", last_name="Présidente")
    others = [
        make_user("comite", id=next(ids), first_name=name, last_name=f"Membre{i}")
        for i, name in enumerate(["Bruno", "Chloé", "David", "Emma"], start=1)
    ]
    return SimpleNamespace(
        campaign=campaign, admin=admin, chair=chair, members=[chair, *others], others=others
    )


def actions(obj=None, since: int = 0) -> list[str]:
    qs = AuditEvent.objects.filter(seq__gt=since).order_by("seq")
    if obj is not None:
        qs = qs.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(qs.values_list("action", flat=True))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


# ---- preparing ---------------------------------------------------------------------------------


def test_create_session_only_by_admin_and_chair_from_the_composition(committee):
    c = committee
    later = clock.now() + dt.timedelta(days=10)
    with pytest.raises(ComiteRefused) as exc:
        comite_sessions.create_session(c.campaign, by=c.chair, starts_at=later, chair=c.chair, place="Paris")
    assert exc.value.kind == "role"
    outsider = make_user("instructeur")
    with pytest.raises(ComiteRefused, match="pas membre de la composition"):
        comite_sessions.create_session(c.campaign, by=c.admin, starts_at=later, chair=outsider, place="Paris")
    with pytest.raises(ComiteRefused, match="lieu"):
        comite_sessions.create_session(c.campaign, by=c.admin, starts_at=later, chair=c.chair)
    session = new_session(c)
    assert session.status == Session.Status.PLANNED and session.needs_quorum
    assert set(session.members.all()) == set(c.members)
    assert actions(session) == ["comite_session_created"]


def test_agenda_ranked_by_score_then_smaller_population_and_scheduled(committee):
    c = committee
    low = instructed_dossier(c.campaign, score=65, population=300)
    big = instructed_dossier(c.campaign, score=90, population=3000)
    small = instructed_dossier(c.campaign, score=90, population=500)
    unscored = instructed_dossier(c.campaign, score=None, population=100)
    session = new_session(c)
    items = comite_convocation.build_agenda(session, by=c.admin)
    assert [i.dossier_id for i in items] == [small.pk, big.pk, low.pk, unscored.pk]
    assert [i.rank for i in items] == [1, 2, 3, 4]
    for d in (low, big, small, unscored):
        d.refresh_from_db()
        assert d.status == Status.IN_COMMITTEE
        assert "schedule" in actions(d)
    assert "comite_agenda_built" in actions(session)
    # a second run adds only the dossiers instructed since; the agenda stays in ranking order
    later = instructed_dossier(c.campaign, score=99)
    added = comite_convocation.build_agenda(session, by=c.admin)
    assert [i.dossier_id for i in added] == [later.pk]
    ranked = list(session.items.order_by("rank").values_list("dossier_id", "rank"))
    assert ranked == [(later.pk, 1), (small.pk, 2), (big.pk, 3), (low.pk, 4), (unscored.pk, 5)]


def test_member_who_instructed_a_dossier_is_recused_automatically(committee):
    c = committee
    instructor_member = c.others[0]
    d = instructed_dossier(c.campaign, instructor=instructor_member)
    session = new_session(c)
    [item] = comite_convocation.build_agenda(session, by=c.admin)
    declaration = ConflictDeclaration.objects.get(item=item)
    assert declaration.member == instructor_member and declaration.automatic
    assert comite_reading.is_recused(item, instructor_member)
    assert d.pk == item.dossier_id


def test_convocation_emails_each_member_of_the_composition_once(
    committee, django_capture_on_commit_callbacks
):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c, days=6)
    comite_convocation.build_agenda(session, by=c.admin)
    with django_capture_on_commit_callbacks(execute=True):
        result = comite_convocation.send_convocation(session, by=c.admin)
    session.refresh_from_db()
    assert session.status == Session.Status.CONVENED and result.days_before == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in c.members)
    assert "Ordre du jour (1 dossier" in mail.outbox[0].body
    event = AuditEvent.objects.filter(action="comite_convocation").get()
    assert set(event.data["payload"]["recipients"]) == {u.pk for u in c.members}
    # sending again is refused (the session is convened); the emails stay single
    with pytest.raises(ComiteRefused):
        comite_convocation.send_convocation(session, by=c.admin)
    from fonds.comite.tasks import send_convocation_email

    assert send_convocation_email(session.pk, c.chair.pk) is False  # a retried task sends nothing
    assert len(mail.outbox) == len(c.members)


def test_convocation_of_empty_agenda_refused(committee):
    session = new_session(committee)
    with pytest.raises(ComiteRefused, match="vide"):
        comite_convocation.send_convocation(session, by=committee.admin)


# ---- proxies and attendance ---------------------------------------------------------------------


def test_member_holding_two_proxies_refused(committee):
    c = committee
    session = new_session(c)
    a, b, d, e = c.others
    comite_proxies.give_proxy(session, giver=a, holder=b)
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.give_proxy(session, giver=d, holder=b)
    assert exc.value.rules == ["proxy_held"] and "détient déjà 1 procuration(s)" in exc.value.message
    assert "en autorise 1 au plus" in exc.value.message
    assert Proxy.objects.filter(session=session, holder=b).count() == 1
    assert actions(session).count("comite_proxy_given") == 1


def test_member_gives_at_most_one_proxy_and_no_chains(committee):
    c = committee
    session = new_session(c)
    a, b, d, e = c.others
    comite_proxies.give_proxy(session, giver=a, holder=b)
    with pytest.raises(ComiteRefused, match="déjà donné"):
        comite_proxies.give_proxy(session, giver=a, holder=d)
    with pytest.raises(ComiteRefused, match="donné procuration"):
        comite_proxies.give_proxy(session, giver=d, holder=a)  # a gave one: cannot hold
    with pytest.raises(ComiteRefused, match="détient une procuration"):
        comite_proxies.give_proxy(session, giver=b, holder=e)  # b holds one: cannot give


def test_proxy_constraints_hold_in_the_database(committee):
    c = committee
    session = new_session(c)
    a, b, d, e = c.others
    Proxy.objects.create(session=session, giver=a, holder=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proxy.objects.create(session=session, giver=d, holder=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proxy.objects.create(session=session, giver=a, holder=e)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proxy.objects.create(session=session, giver=e, holder=e)


def _chaired_by(c, chair):
    """A planned session of the committee's campaign chaired by ``chair``, one of its members."""
    return comite_sessions.create_session(
        c.campaign,
        by=c.admin,
        starts_at=clock.now() + dt.timedelta(days=10),
        chair=chair,
        place="Salle du conseil, Paris",
    )


def test_proxy_recorded_by_the_giver_the_chair_or_an_administrator_only(committee):
    """A proxy is recorded by the member who gives it, the chair of the session or an administrator;
    any other member is refused, whether his account comes before or after the giver's and the
    chair's."""
    c = committee
    a, b, d, e = c.others
    session = _chaired_by(c, b)
    for by, giver, holder in ((a, e, d), (d, a, e)):
        with pytest.raises(ComiteRefused) as exc:
            comite_proxies.give_proxy(session, giver=giver, holder=holder, by=by)
        assert exc.value.kind == "role"
    assert not Proxy.objects.filter(session=session).exists()
    comite_proxies.give_proxy(session, giver=a, holder=d, by=b)
    comite_proxies.give_proxy(session, giver=e, holder=c.chair, by=c.admin)
    assert set(Proxy.objects.filter(session=session).values_list("giver", "holder")) == {
        (a.pk, d.pk),
        (e.pk, c.chair.pk),
    }
    himself = type(d).objects.get(pk=d.pk)  # the giver's account as a page reads it
    assert comite_proxies.give_proxy(new_session(c), giver=d, holder=a, by=himself).giver == d


def test_proxy_withdrawn_by_the_giver_the_chair_or_an_administrator_only(committee):
    """A proxy is withdrawn by the member who gave it, the chair of the session or an
    administrator; any other member is refused, whether his account comes before or after the
    giver's and the chair's."""
    c = committee
    a, b, d, e = c.others
    session = _chaired_by(c, b)
    comite_proxies.give_proxy(session, giver=a, holder=d)
    comite_proxies.give_proxy(session, giver=e, holder=c.chair)
    for by, giver in ((a, e), (d, a)):
        with pytest.raises(ComiteRefused) as exc:
            comite_proxies.revoke_proxy(session, giver=giver, by=by)
        assert exc.value.kind == "role"
    assert Proxy.objects.filter(session=session).count() == 2
    comite_proxies.revoke_proxy(session, giver=a, by=type(a).objects.get(pk=a.pk))  # a himself
    comite_proxies.revoke_proxy(session, giver=e, by=b)
    comite_proxies.give_proxy(session, giver=a, holder=d)
    comite_proxies.revoke_proxy(session, giver=a, by=c.admin)
    assert not Proxy.objects.filter(session=session).exists()
    assert actions(session).count("comite_proxy_revoked") == 3


def test_proxy_withdrawn_until_a_vote_is_cast_with_it_the_giver_then_absent(committee):
    """A proxy may be withdrawn until a vote has been cast with it; the giver noted represented is
    then noted absent (nobody represents him any more), a giver who came is still present."""
    c = committee
    a, b, d, e = c.others
    item = _item_with_a_represented_by_b(c)  # a represented by b, e absent
    session = item.session
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.revoke_proxy(session, giver=d)  # d gave none
    assert exc.value.kind == "not_found"
    comite_proxies.revoke_proxy(session, giver=a)
    assert counting.presence_by_member(session)[a.pk] == "absent"
    comite_proxies.give_proxy(session, giver=e, holder=d)
    comite_sitting.record_attendance(session, by=c.chair, presence={e: "present"})  # e came after all
    comite_proxies.revoke_proxy(session, giver=e)
    assert counting.presence_by_member(session)[e.pk] == "present"
    assert not Proxy.objects.filter(session=session).exists()
    comite_proxies.give_proxy(session, giver=a, holder=b)
    comite_sitting.record_attendance(session, by=c.chair, presence={a: "represented"})
    comite_votes.open_vote(item, by=c.chair)
    comite_votes.cast_vote(item, by=b, choice="pour", for_member=a)
    with pytest.raises(ComiteRefused, match="ne peut plus être retirée"):
        comite_proxies.revoke_proxy(session, giver=a)
    assert Proxy.objects.filter(session=session, giver=a, holder=b).exists()
    assert counting.presence_by_member(session)[a.pk] == "represented"


def test_member_holds_at_most_one_proxy_whatever_the_campaign_rules_say(committee):
    """Each member holds at most one proxy: the database holds one per member and session, so the
    campaign's rules offer 0 or 1 (a larger limit would only make the second proxy fail)."""
    from fonds.administration import forms as admin_forms
    from fonds.administration import parameters

    params = committee.campaign.rules.params
    data = {name: "" if value is None else value for name, value in parameters.flatten(params).items()}
    for limit, accepted in ((1, True), (2, False)):
        typed = {**data, "committee__max_proxies_per_member": limit}
        form = admin_forms.RulesForm(data=typed, current=params)
        assert form.is_valid() is accepted, form.errors
    assert "committee__max_proxies_per_member" in form.errors


def test_proxy_limit_is_the_one_of_the_campaign_rules_in_force(committee):
    """The number of proxies a member may hold is read from the campaign's rules in force when the
    proxy is given: rules that now allow none refuse a further proxy to a holder, naming the limit."""
    import copy

    c = committee
    a, b, d = c.others[:3]
    session = new_session(c)
    comite_proxies.give_proxy(session, giver=a, holder=b)
    rules = c.campaign.rules
    params = copy.deepcopy(rules.params)
    params["committee"]["max_proxies_per_member"] = 0
    rules.new_version(params, by=c.admin, note="Plus de procuration")
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.give_proxy(session, giver=d, holder=b)
    assert exc.value.rules == ["proxy_held"] and "en autorise 0 au plus" in exc.value.message


def test_member_holds_one_proxy_even_where_stored_rules_say_more(committee):
    """The database holds one proxy per member and session: rules stored with a larger limit (not
    through the rules form, which offers 0 or 1) still see a second proxy to a holder refused,
    never a server error."""
    import copy

    c = committee
    a, b, d = c.others[:3]
    session = new_session(c)
    params = copy.deepcopy(c.campaign.rules.params)
    params["committee"]["max_proxies_per_member"] = 2
    c.campaign.rules.new_version(params, by=c.admin, note="Deux procurations")
    comite_proxies.give_proxy(session, giver=a, holder=b)
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.give_proxy(session, giver=d, holder=b)
    assert exc.value.rules == ["proxy_held"]
    assert Proxy.objects.filter(session=session, holder=b).count() == 1


def test_proxies_between_distinct_members_are_no_chain_in_either_order(committee):
    """Two proxies between four distinct members are both accepted, whichever is given first: only
    a holder who gave a proxy, or a giver who holds one, makes a chain."""
    c = committee
    a, b, d, e = c.others
    for order in ([(e, d), (a, b)], [(a, b), (e, d)]):
        session = new_session(c)
        for giver, holder in order:
            comite_proxies.give_proxy(session, giver=giver, holder=holder)
        assert set(Proxy.objects.filter(session=session).values_list("giver", "holder")) == {
            (a.pk, b.pk),
            (e.pk, d.pk),
        }


def test_proxy_given_between_members_of_the_session_only(committee):
    """A proxy is given by a member of the session to a member of the session: neither an outsider's
    proxy nor a proxy to an outsider."""
    c = committee
    session = new_session(c)
    a = c.others[0]
    outsider = make_user("instructeur")
    for giver, holder in ((outsider, a), (a, outsider)):
        with pytest.raises(ComiteRefused) as exc:
            comite_proxies.give_proxy(session, giver=giver, holder=holder, by=c.admin)
        assert exc.value.rules == ["proxy_members"]
    assert not Proxy.objects.filter(session=session).exists()


def test_member_gives_no_proxy_to_himself(committee):
    """Nobody holds his own proxy (the member picked in the form is his own account read again)."""
    c = committee
    session = new_session(c)
    a = c.others[0]
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.give_proxy(session, giver=a, holder=type(a).objects.get(pk=a.pk))
    assert exc.value.rules == ["proxy_self"]


def test_member_noted_present_gives_no_proxy(committee):
    """A proxy is for an absent member: a member noted present votes himself, until the attendance
    notes him absent."""
    c = committee
    a, b = c.others[:2]
    session = sitting(c, 1)  # everyone present
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.give_proxy(session, giver=a, holder=b)
    assert exc.value.rules == ["proxy_present"]
    comite_sitting.record_attendance(session, by=c.chair, presence={a: "absent"})
    assert comite_proxies.give_proxy(session, giver=a, holder=b).holder == b


def test_represented_requires_a_proxy_to_a_present_member(committee):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c)
    comite_convocation.build_agenda(session, by=c.admin)
    comite_convocation.send_convocation(session, by=c.admin)
    at_start(session)  # attendance is taken at the sitting, even before it is opened
    a, b, d, e = c.others
    with pytest.raises(ComiteRefused, match="pas donné de procuration"):
        comite_sitting.record_attendance(session, by=c.chair, presence={a: "represented"})
    comite_proxies.give_proxy(session, giver=a, holder=b)
    with pytest.raises(ComiteRefused, match="pas présent"):
        comite_sitting.record_attendance(session, by=c.chair, presence={a: "represented", b: "absent"})
    rows = comite_sitting.record_attendance(session, by=c.chair, presence={a: "represented", b: "present"})
    assert len(rows) == 2
    with pytest.raises(ComiteRefused) as exc:
        comite_sitting.record_attendance(session, by=a, presence={a: "present"})
    assert exc.value.kind == "role"


# ---- quorum per item ---------------------------------------------------------------------------


def test_quorum_per_item_at_boundary_with_proxy_and_recusal(committee):
    c = committee
    a, b, d, e = c.others
    # 5 members: chair + b present, a represented → 3 ≥ 2.5
    session = sitting(
        c,
        [instructed_dossier(c.campaign)],
        proxies={a: c.chair},
        presence={c.chair: "present", b: "present", a: "represented", d: "absent", e: "absent"},
    )
    item = session.items.get()
    q = counting.item_quorum(item)
    assert q.reached and (q.present, q.represented, q.eligible) == (2, 1, 5)
    # b declares a conflict → 4 eligible, 2 counted ≥ 2: still reached (boundary)
    comite_proxies.declare_conflict(item, member=b, reason="Élu de l'intercommunalité de la commune")
    q = counting.item_quorum(item)
    assert q.reached and (q.present, q.represented, q.eligible) == (1, 1, 4)
    # without the proxy (a marked absent): 1 of 4 < 2 → no vote
    comite_sitting.record_attendance(session, by=c.chair, presence={a: "absent"})
    assert not counting.item_quorum(item).reached
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.open_vote(item, by=c.chair)
    assert exc.value.rules == ["quorum"] and "Quorum non atteint" in exc.value.message


def test_adjourn_without_quorum_then_next_session_needs_none(committee):
    c = committee
    a, b, d, e = c.others
    dossier = instructed_dossier(c.campaign)
    session = sitting(
        c, [dossier], presence={c.chair: "present", a: "present", b: "absent", d: "absent", e: "absent"}
    )
    item = session.items.get()
    with pytest.raises(ComiteRefused):
        comite_votes.open_vote(item, by=c.chair)
    adjourned = comite_sitting.adjourn(session, by=c.chair, motivation="2 présents sur 5")
    assert adjourned.status == Session.Status.ADJOURNED
    dossier.refresh_from_db()
    assert dossier.status == Status.IN_COMMITTEE
    nxt = new_session(c, days=7, follows=adjourned)
    assert not nxt.needs_quorum
    [carried] = nxt.items.all()
    assert carried.dossier_id == dossier.pk
    comite_convocation.send_convocation(nxt, by=c.admin)
    at_start(nxt)
    comite_sitting.open_sitting(nxt, by=c.chair)
    comite_sitting.record_attendance(
        nxt, by=c.chair, presence={c.chair: "present", a: "absent", b: "absent", d: "absent", e: "absent"}
    )
    assert counting.item_quorum(carried).reached
    comite_votes.open_vote(carried, by=c.chair)  # one member present suffices
    with pytest.raises(ComiteRefused, match="sans condition de quorum"):
        comite_sitting.adjourn(nxt, by=c.chair)


def test_adjourn_refused_when_quorum_reached(committee):
    session = sitting(committee, 1)
    with pytest.raises(ComiteRefused, match="quorum est atteint"):
        comite_sitting.adjourn(session, by=committee.chair)


# ---- recusal -----------------------------------------------------------------------------------


def test_recused_member_voting_is_refused_and_audited(committee):
    c = committee
    a = c.others[0]
    session = sitting(c, 1)
    item = session.items.get()
    comite_proxies.declare_conflict(item, member=a, reason="Conseiller municipal de la commune")
    comite_votes.open_vote(item, by=c.chair)
    before = last_seq()
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.cast_vote(item, by=a, choice="pour")
    assert exc.value.kind == "recused" and exc.value.message.startswith("Vous êtes déporté")
    assert not Vote.objects.filter(item=item).exists()
    assert actions(item, since=before) == ["comite_vote_refused"]


def test_recused_member_reading_is_refused_and_audited(committee):
    c = committee
    a, b = c.others[:2]
    session = sitting(c, 1)
    item = session.items.get()
    comite_proxies.declare_conflict(item, member=a, reason="Adjoint au maire de la commune")
    assert comite_reading.read_item(item, by=b).pk == item.pk
    assert not comite_reading.can_read_item(item, a)
    before = last_seq()
    with pytest.raises(ComiteRefused) as exc:
        comite_reading.read_item(item, by=a)
    assert exc.value.kind == "recused"
    assert actions(item, since=before) == ["comite_read_refused"]
    assert {r.item.pk: r.recused for r in queries.agenda_rows(session, a)} == {item.pk: True}


def test_read_item_rereads_the_declarations_of_an_item_already_read(committee):
    """``read_item`` uses the item it is given as it is, but never a recusal list read before:
    a member who declares a conflict after reading the item is refused the next reading."""
    c = committee
    a = c.others[0]
    session = sitting(c, 1)
    item = session.items.get()
    assert comite_reading.read_item(item, by=a).declarations == []
    comite_proxies.declare_conflict(item, member=a, reason="Conseiller municipal de la commune")
    with pytest.raises(ComiteRefused) as exc:
        comite_reading.read_item(item, by=a)
    assert exc.value.kind == "recused"
    assert [d.member_id for d in comite_reading.read_item(item, by=c.others[1]).declarations] == [a.pk]


def _item_with_a_represented_by_b(c):
    """The item of a one-dossier sitting where a gave a proxy to b: the chair, b and d present, a
    represented, e absent."""
    a, b, d, e = c.others
    session = sitting(
        c,
        [instructed_dossier(c.campaign)],
        proxies={a: b},
        presence={c.chair: "present", b: "present", d: "present", a: "represented", e: "absent"},
    )
    return session.items.get()


def test_proxy_holder_cannot_vote_for_a_recused_giver(committee):
    c = committee
    a, b = c.others[:2]
    item = _item_with_a_represented_by_b(c)
    comite_proxies.declare_conflict(item, member=a, reason="Élu de la commune")
    comite_votes.open_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.cast_vote(item, by=b, choice="pour", for_member=a)
    assert exc.value.kind == "recused" and exc.value.message.startswith("Bruno Membre1 est déporté")
    assert "comite_vote_refused" in actions(item)


def test_conflict_declared_after_vote_opened_refused(committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused, match="précéder le vote"):
        comite_proxies.declare_conflict(item, member=c.others[0], reason="Élu de la commune")


def test_conflict_declared_by_the_member_himself_or_an_administrator(committee):
    """Each member declares his own links with a dossier; an administrator may record them for
    him, another member may not (whether his account comes before or after)."""
    c = committee
    a, b, d, e = c.others
    item = sitting(c, 1).items.get()
    for by, member in ((b, a), (a, b)):
        with pytest.raises(ComiteRefused) as exc:
            comite_proxies.declare_conflict(item, member=member, reason="Élu de la commune", by=by)
        assert exc.value.kind == "role"
    assert not ConflictDeclaration.objects.filter(item=item).exists()
    comite_proxies.declare_conflict(item, member=d, reason="Élu de la commune", by=c.admin)
    himself = type(e).objects.get(pk=e.pk)  # the member's account as a page reads it
    comite_proxies.declare_conflict(item, member=e, reason="Conjoint du maire", by=himself)
    assert [m for m in c.others if comite_reading.is_recused(item, m)] == [d, e]


def test_conflict_declared_twice_is_recorded_once(committee):
    """A second declaration by the same member on the same dossier returns the first one: one
    declaration, one audit event, the first reason kept."""
    c = committee
    a = c.others[0]
    item = sitting(c, 1).items.get()
    first = comite_proxies.declare_conflict(item, member=a, reason="Élu de la commune")
    again = comite_proxies.declare_conflict(item, member=a, reason="Adjoint au maire")
    assert again.pk == first.pk and again.reason == "Élu de la commune"
    assert ConflictDeclaration.objects.filter(item=item, member=a).count() == 1
    assert actions(item).count("comite_conflict_declared") == 1


def test_conflict_declared_with_the_link_described_in_at_most_2000_characters(committee):
    """The declaration describes the link with the dossier (e.g. elected in the commune): required,
    2,000 characters at most."""
    c = committee
    a = c.others[0]
    item = sitting(c, 1).items.get()
    with pytest.raises(ComiteRefused) as exc:
        comite_proxies.declare_conflict(item, member=a, reason="   ")
    assert exc.value.rules == ["reason"]
    with pytest.raises(ComiteRefused, match="2000 caractères au plus"):
        comite_proxies.declare_conflict(item, member=a, reason="x" * 2001)
    assert not ConflictDeclaration.objects.filter(item=item).exists()
    assert comite_proxies.declare_conflict(item, member=a, reason="x" * 2000).reason == "x" * 2000


# ---- votes and outcomes -------------------------------------------------------------------------


def test_vote_may_change_while_open_never_after_close(committee):
    c = committee
    a = c.others[0]
    session = sitting(c, 1)
    item = session.items.get()
    with pytest.raises(ComiteRefused, match="pas ouvert"):
        comite_votes.cast_vote(item, by=a, choice="pour")
    comite_votes.open_vote(item, by=c.chair)
    comite_votes.cast_vote(item, by=a, choice="contre")
    comite_votes.cast_vote(item, by=a, choice="pour")
    assert Vote.objects.get(item=item, elector=a).choice == "pour"
    comite_votes.close_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused, match="clos"):
        comite_votes.cast_vote(item, by=a, choice="contre")
    assert Vote.objects.get(item=item, elector=a).choice == "pour"
    assert actions(item).count("comite_vote_cast") == 2


def test_proxy_holder_votes_once_for_the_giver(committee):
    c = committee
    a, b, d, e = c.others
    item = _item_with_a_represented_by_b(c)
    comite_votes.open_vote(item, by=c.chair)
    comite_votes.cast_vote(item, by=b, choice="pour")
    comite_votes.cast_vote(item, by=b, choice="contre", for_member=a)
    comite_votes.cast_vote(item, by=b, choice="pour", for_member=a)  # changes a's vote, no second one
    assert Vote.objects.filter(item=item).count() == 2
    assert Vote.objects.get(item=item, elector=a).cast_for == a
    with pytest.raises(ComiteRefused, match="ne détenez pas"):
        comite_votes.cast_vote(item, by=d, choice="pour", for_member=e)
    with pytest.raises(ComiteRefused, match="présents"):
        comite_votes.cast_vote(item, by=e, choice="pour")  # absent
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(item=item, member=b, cast_for=a, elector=a, choice="abstention")


def test_vote_on_a_dossier_opened_once(committee):
    """The vote on a dossier is opened once: not again while it is open, nor after it is closed."""
    c = committee
    item = sitting(c, 1).items.get()
    comite_votes.open_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused, match="déjà été ouvert"):
        comite_votes.open_vote(item, by=c.chair)
    comite_votes.close_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused, match="déjà été ouvert"):
        comite_votes.open_vote(item, by=c.chair)
    assert actions(item).count("comite_vote_opened") == 1


def test_vote_opened_only_on_a_dossier_still_in_committee(committee):
    """Defence in depth: a dossier whose status is no longer « en comité » while its agenda item is
    undecided (data repaired by hand, whichever the status) is not put to the vote."""
    c = committee
    item = sitting(c, 1).items.get()
    for status in (Status.INSTRUCTED, Status.APPROVED):
        Dossier.objects.filter(pk=item.dossier_id).update(status=status)
        with pytest.raises(ComiteRefused, match="plus « en comité »"):
            comite_votes.open_vote(item, by=c.chair)
    assert AgendaItem.objects.get(pk=item.pk).vote_state == AgendaItem.VoteState.PENDING


def test_vote_closed_only_while_open(committee):
    """The presiding member closes a vote that is open: not before it is opened, not twice."""
    c = committee
    item = sitting(c, 1).items.get()
    with pytest.raises(ComiteRefused, match="pas ouvert"):
        comite_votes.close_vote(item, by=c.chair)
    comite_votes.open_vote(item, by=c.chair)
    comite_votes.close_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused, match="pas ouvert"):
        comite_votes.close_vote(item, by=c.chair)
    assert actions(item).count("comite_vote_closed") == 1


def test_no_vote_cast_once_the_session_no_longer_sits(committee):
    """Defence in depth: a vote left open in a session that no longer sits (closed or adjourned,
    data repaired by hand) takes no vote."""
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    for status in (Session.Status.CLOSED, Session.Status.ADJOURNED):
        Session.objects.filter(pk=session.pk).update(status=status)
        with pytest.raises(ComiteRefused, match="pas ouvert"):
            comite_votes.cast_vote(item, by=c.others[0], choice="pour")
    assert not Vote.objects.filter(item=item).exists()


def test_only_members_of_the_session_vote(committee):
    """Only the members convened to the session vote; anyone else is refused for his role."""
    c = committee
    item = sitting(c, 1).items.get()
    comite_votes.open_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.cast_vote(item, by=make_user("instructeur"), choice="pour")
    assert exc.value.kind == "role"
    assert not Vote.objects.filter(item=item).exists()


def test_member_represented_votes_only_through_his_proxy_holder(committee):
    """A member noted represented does not vote himself: his proxy holder votes for him."""
    c = committee
    a, b = c.others[:2]
    item = _item_with_a_represented_by_b(c)
    comite_votes.open_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.cast_vote(item, by=a, choice="pour")
    assert exc.value.rules == ["attendance"]
    assert comite_votes.cast_vote(item, by=b, choice="pour", for_member=a).elector == a


def test_member_naming_himself_as_the_one_he_votes_for_casts_his_own_vote(committee):
    """A member who votes « for » himself (his own account read again, as the vote form gives it)
    casts his own vote, not a proxy vote."""
    c = committee
    d = c.others[2]
    item = _item_with_a_represented_by_b(c)
    comite_votes.open_vote(item, by=c.chair)
    vote = comite_votes.cast_vote(item, by=d, choice="contre", for_member=type(d).objects.get(pk=d.pk))
    assert (vote.elector_id, vote.member_id, vote.cast_for_id) == (d.pk, d.pk, None)


def test_proxy_holder_does_not_vote_for_a_giver_who_came(committee):
    """A giver noted present after all votes himself: his proxy holder may no longer vote for him."""
    c = committee
    a, b = c.others[:2]
    item = _item_with_a_represented_by_b(c)
    comite_sitting.record_attendance(item.session, by=c.chair, presence={a: "present"})
    comite_votes.open_vote(item, by=c.chair)
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.cast_vote(item, by=b, choice="pour", for_member=a)
    assert exc.value.rules == ["proxy_present"]
    assert comite_votes.cast_vote(item, by=a, choice="pour").member == a


def test_proxy_holder_does_not_vote_for_a_giver_noted_absent(committee):
    """A giver the attendance notes absent (not represented) is not represented: his proxy counts
    neither in the quorum nor in the vote."""
    c = committee
    a, b = c.others[:2]
    item = _item_with_a_represented_by_b(c)
    comite_sitting.record_attendance(item.session, by=c.chair, presence={a: "absent"})
    comite_votes.open_vote(item, by=c.chair)
    assert counting.item_quorum(item).represented == 0
    with pytest.raises(ComiteRefused) as exc:
        comite_votes.cast_vote(item, by=b, choice="pour", for_member=a)
    assert exc.value.rules == ["proxy_absent"]
    assert not Vote.objects.filter(item=item, elector=a).exists()


def test_proxy_of_a_giver_the_attendance_does_not_name_counts_and_is_voted(committee):
    """A giver the attendance does not name is not noted absent: as the quorum counts his proxy,
    his proxy holder votes for him."""
    c = committee
    a, b, d, e = c.others
    session = sitting(
        c,
        [instructed_dossier(c.campaign)],
        proxies={a: b},
        presence={c.chair: "present", b: "present", d: "present", e: "absent"},
    )
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    assert counting.item_quorum(item).represented == 1
    comite_votes.cast_vote(item, by=b, choice="pour", for_member=a)
    assert Vote.objects.get(item=item, elector=a).choice == "pour"


def test_vote_cast_with_a_proxy_is_audited_as_such(committee):
    """The audit trail tells a vote cast with a proxy (for whom) from the holder's own vote."""
    c = committee
    a, b = c.others[:2]
    item = _item_with_a_represented_by_b(c)
    comite_votes.open_vote(item, by=c.chair)
    comite_votes.cast_vote(item, by=b, choice="pour")
    comite_votes.cast_vote(item, by=b, choice="contre", for_member=a)
    cast = AuditEvent.objects.filter(action="comite_vote_cast").order_by("seq")
    assert [(e.data["payload"]["elector"], e.data["payload"]["proxy"]) for e in cast] == [
        (b.pk, False),
        (a.pk, True),
    ]


def test_tie_broken_by_chair_casting_vote_then_approved(committee):
    c = committee
    a, b, d, e = c.others
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    vote_all(item, c, {c.chair: "pour", a: "pour", b: "contre", d: "contre", e: "abstention"})
    result = comite_votes.close_vote(item, by=c.chair)
    assert result.tie and result.casting_vote and result.adopted
    decisions.decide(item, by=c.chair, outcome="approve")
    item.refresh_from_db()
    item.dossier.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.APPROVED and item.decided_amount == Decimal("5000.00")
    assert item.dossier.status == Status.APPROVED and item.dossier.approved_amount == Decimal("5000.00")


def test_tie_with_chair_contre_cannot_be_approved_and_reject_needs_motivation(committee):
    c = committee
    a, b, d, e = c.others
    session = sitting(c, 1)
    item = session.items.get()
    comite_votes.open_vote(item, by=c.chair)
    vote_all(item, c, {c.chair: "contre", a: "pour", b: "pour", d: "contre"})
    assert not comite_votes.close_vote(item, by=c.chair).adopted
    with pytest.raises(ComiteRefused, match="pas adopté"):
        decisions.decide(item, by=c.chair, outcome="approve")
    with pytest.raises(ComiteRefused) as exc:
        decisions.decide(item, by=c.chair, outcome="reject")
    assert exc.value.kind == "motivation"
    decisions.decide(
        item,
        by=c.chair,
        outcome="reject",
        motivation="Programme insuffisamment construit avec le partenaire.",
    )
    item.dossier.refresh_from_db()
    assert item.dossier.status == Status.REJECTED


def test_amended_amount_needs_motivation(committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    with pytest.raises(ComiteRefused, match="amendement"):
        comite_votes.open_vote(item, by=c.chair, amount="4000")
    comite_votes.open_vote(item, by=c.chair, amount="4000", motivation="Nuitées surestimées.")
    vote_all(item, c, {m: "pour" for m in c.members})
    comite_votes.close_vote(item, by=c.chair)
    decisions.decide(item, by=c.chair, outcome="approve")
    item.dossier.refresh_from_db()
    assert item.dossier.approved_amount == Decimal("4000.00")


def test_defer_returns_the_dossier_to_instructed(committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    decisions.decide(item, by=c.chair, outcome="defer", motivation="Pièce à vérifier.")
    item.dossier.refresh_from_db()
    assert item.dossier.status == Status.INSTRUCTED
    item.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.DEFERRED


def test_only_the_chair_drives_the_sitting(committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    for call in (
        lambda: comite_votes.open_vote(item, by=c.others[0]),
        lambda: decisions.close_session(session, by=c.admin),
    ):
        with pytest.raises(ComiteRefused) as exc:
            call()
        assert exc.value.kind == "role"


def test_every_step_is_audited(committee, django_capture_on_commit_callbacks):
    c = committee
    before = last_seq()
    with django_capture_on_commit_callbacks(execute=True):
        dossier, item = _every_step(committee)
    got = actions(since=before)
    for expected in [
        "comite_session_created",
        "schedule",
        "comite_agenda_built",
        "comite_proxy_given",
        "comite_convocation",
        "comite_convocation_sent",
        "comite_sitting_opened",
        "comite_attendance",
        "comite_conflict_declared",
        "comite_vote_opened",
        "comite_vote_cast",
        "comite_vote_closed",
        "approve",
        "comite_outcome",
        "comite_session_closed",
        "decision_letter_generated",
        "decision_letter_sent",
    ]:
        assert expected in got, expected
    assert got.count("comite_vote_cast") == 4
    assert got.count("comite_convocation_sent") == len(c.members)
    from fonds.audit.chain import verify

    assert verify().ok
    assert dossier.pk == item.dossier_id


def _every_step(committee):
    c = committee
    a, b, d, e = c.others
    dossier = instructed_dossier(c.campaign)
    session = sitting(
        c,
        [dossier],
        proxies={e: d},
        presence={c.chair: "present", a: "present", b: "present", d: "present", e: "represented"},
    )
    item = session.items.get()
    comite_proxies.declare_conflict(item, member=a, reason="Élu de la commune")
    comite_votes.open_vote(item, by=c.chair)
    vote_all(item, c, {c.chair: "pour", b: "pour", d: "contre"})
    comite_votes.cast_vote(item, by=d, choice="pour", for_member=e)
    comite_votes.close_vote(item, by=c.chair)
    decisions.decide(item, by=c.chair, outcome="approve")
    decisions.close_session(session, by=c.chair)
    return dossier, item


def test_close_all_votes_tallies_every_open_item_and_freezes_votes(committee):
    c = committee
    a, b, d, e = c.others
    session = sitting(c, 3)
    i1, i2, i3 = session.items.order_by("rank")
    comite_votes.open_vote(i1, by=c.chair)
    comite_votes.open_vote(i2, by=c.chair)
    vote_all(i1, c, {c.chair: "pour", a: "contre", b: "contre", d: "pour"})  # tie, chair pour
    vote_all(i2, c, {c.chair: "contre", a: "pour"})  # tie, chair contre
    with pytest.raises(ComiteRefused):
        comite_votes.close_all_votes(session, by=a)
    results = comite_votes.close_all_votes(session, by=c.chair)
    assert set(results) == {i1.pk, i2.pk}
    assert results[i1.pk].adopted and results[i1.pk].casting_vote and not results[i2.pk].adopted
    i1.refresh_from_db()
    i3.refresh_from_db()
    assert (
        i1.vote_state == AgendaItem.VoteState.CLOSED
        and i1.tally["adopted"]
        and i3.vote_state == AgendaItem.VoteState.PENDING
    )
    assert actions(i2).count("comite_vote_closed") == 1
    with pytest.raises(ComiteRefused, match="clos"):
        comite_votes.cast_vote(i1, by=a, choice="pour")


def test_deputy_chair_closes_at_once_only_the_votes_he_presides(committee):
    """Closing every open vote at once, the deputy chair closes those he presides over (the chair
    recused) and leaves the chair's open; the chair then closes his."""
    c = committee
    deputy = c.others[0]
    session = sitting(c, 2, deputy_chair=deputy)
    first, second = session.items.order_by("rank")
    comite_proxies.declare_conflict(second, member=c.chair, reason="Élu de la commune")
    comite_votes.open_vote(first, by=c.chair)
    comite_votes.open_vote(second, by=deputy)
    assert set(comite_votes.close_all_votes(session, by=deputy)) == {second.pk}
    assert AgendaItem.objects.get(pk=first.pk).vote_state == AgendaItem.VoteState.OPEN
    assert set(comite_votes.close_all_votes(session, by=c.chair)) == {first.pk}


def test_chair_closes_at_once_only_the_votes_he_presides(committee):
    """Closing every open vote at once, the chair leaves open the votes the deputy chair presides
    over (the chair recused)."""
    c = committee
    deputy = c.others[0]
    assert deputy.pk > c.chair.pk  # a later account: the votes are the chair's by identity, not by order
    session = sitting(c, 2, deputy_chair=deputy)
    first, second = session.items.order_by("rank")
    comite_proxies.declare_conflict(second, member=c.chair, reason="Élu de la commune")
    comite_votes.open_vote(first, by=c.chair)
    comite_votes.open_vote(second, by=deputy)
    assert set(comite_votes.close_all_votes(session, by=c.chair)) == {first.pk}
    assert AgendaItem.objects.get(pk=second.pk).vote_state == AgendaItem.VoteState.OPEN
