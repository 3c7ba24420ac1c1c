"""Règlement, "Committee": approved amount = proposal unless amended with motivation, and always
within 1,000–15,000 € and the formula's caps — the motion put to the vote (amendment), the amount
decided and the amount promoted from the waiting list (issue 13: "an amendment to 900 € or
20,000 € was approved", "approved at 50,000 € (requested 9,850 €, cap 15,000 €)")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.comite import decisions, envelope
from fonds.comite import votes as comite_votes
from fonds.comite.errors import ComiteRefused
from fonds.comite.models import AgendaItem
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused
from fonds.dossiers.states import Status
from fonds.referentiel.models import Campaign

from .conftest import in_committee, sitting, vote_all

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    """Amounts are written with non-breaking spaces (1\u00a0000\u00a0€): compare with plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _item(c, **dossier):
    from .conftest import instructed_dossier

    instructed_dossier(c.campaign, **dossier)
    session = sitting(c, [])
    return session.items.get()


def _adopt(item, c):
    vote_all(item, c, {m: "pour" for m in c.members})
    comite_votes.close_vote(item, by=c.chair)
    return AgendaItem.objects.get(pk=item.pk)


def test_amendment_below_1000_refused(committee):
    c = committee
    item = _item(c)
    with pytest.raises(ComiteRefused) as refused:
        comite_votes.open_vote(item, by=c.chair, amount="900", motivation="Projet réduit.")
    assert refused.value.rules == ["amount"] and "en dessous de 1 000 €" in flat(refused.value.message)
    item.refresh_from_db()
    assert item.vote_state == AgendaItem.VoteState.PENDING and item.amount == Decimal("5000.00")
    assert not AuditEvent.objects.filter(action="comite_vote_opened").exists()


def test_amendment_above_15000_refused(committee):
    c = committee
    item = _item(c)
    with pytest.raises(ComiteRefused) as refused:
        comite_votes.open_vote(item, by=c.chair, amount="20000", motivation="Projet exemplaire.")
    assert refused.value.rules == ["amount"] and "ne peut dépasser 15 000 €" in flat(refused.value.message)
    item.refresh_from_db()
    assert item.vote_state == AgendaItem.VoteState.PENDING


def test_amendment_within_the_bounds_is_put_to_the_vote(committee):
    c = committee
    item = _item(c)
    comite_votes.open_vote(item, by=c.chair, amount="15000", motivation="Transport plus cher que prévu.")
    item = _adopt(item, c)
    decided = decisions.decide(item, by=c.chair, outcome="approve")
    assert decided.decided_amount == Decimal("15000.00") and Dossier.objects.get(
        pk=item.dossier_id
    ).approved_amount == Decimal("15000.00")


def test_any_amount_other_than_the_proposal_is_an_amendment_and_only_such(committee):
    """An amount above or below the instructor's proposal is an amendment (motivated, its motivation
    recorded); the proposal typed again is no amendment, and a motivation given with it is not
    recorded as one."""
    c = committee
    from .conftest import instructed_dossier

    instructed_dossier(c.campaign, score=90)
    instructed_dossier(c.campaign, score=80)
    above, same = sitting(c, []).items.order_by("rank")
    with pytest.raises(ComiteRefused) as refused:
        comite_votes.open_vote(above, by=c.chair, amount="6000")
    assert refused.value.rules == ["amendment"]
    comite_votes.open_vote(above, by=c.chair, amount="6000", motivation="Transport plus cher.")
    comite_votes.open_vote(same, by=c.chair, amount="5000", motivation="Rien à changer.")
    events = AuditEvent.objects.filter(action="comite_vote_opened")
    opened = {e.object_id: e.data["payload"]["amended"] for e in events}
    assert opened == {str(above.pk): True, str(same.pk): False}
    above, same = AgendaItem.objects.get(pk=above.pk), AgendaItem.objects.get(pk=same.pk)
    assert (above.amount, above.amendment_motivation) == (Decimal("6000.00"), "Transport plus cher.")
    assert (same.amount, same.amendment_motivation) == (Decimal("5000.00"), "")


def test_decision_amount_above_formula_cap_refused(committee):
    """Requested 9,850 €: the requested amount is one of the formula's caps."""
    c = committee
    item = _item(c, requested="9850.00")
    comite_votes.open_vote(item, by=c.chair)
    item = _adopt(item, c)
    with pytest.raises(ComiteRefused) as refused:
        decisions.decide(item, by=c.chair, outcome="approve", amount="50000", motivation="Amendement.")
    assert refused.value.rules == ["amount"] and "montant demandé 9 850 €" in flat(refused.value.message)
    with pytest.raises(ComiteRefused) as refused:
        decisions.decide(item, by=c.chair, outcome="approve", amount="9851", motivation="Amendement.")
    assert "ne peut dépasser 9 850 €" in flat(refused.value.message)
    dossier = Dossier.objects.get(pk=item.dossier_id)
    assert dossier.status == Status.IN_COMMITTEE and dossier.approved_amount is None
    assert not AgendaItem.objects.get(pk=item.pk).outcome
    assert decisions.decide(
        item, by=c.chair, outcome="approve", amount="9850", motivation="Au plafond."
    ).decided_amount == Decimal("9850.00")


def test_decision_page_refuses_an_amount_beyond_the_bounds_and_keeps_the_input(client, committee):
    c = committee
    item = _item(c)
    comite_votes.open_vote(item, by=c.chair)
    item = _adopt(item, c)
    client.force_login(c.chair)
    url = reverse("comite:decide", args=[item.session_id, item.pk])
    page = client.get(url)
    assert "de 1 000 € à 15 000 €" in flat(page.content.decode())
    response = client.post(
        url, {"outcome": "approve", "amount": "50000", "motivation": "Amendement.", "confirm": "on"}
    )
    html = flat(response.content.decode())
    assert response.status_code == 400 and "ne peut dépasser 15 000 €" in html and 'value="50000"' in html
    assert not AgendaItem.objects.get(pk=item.pk).outcome


def test_open_vote_page_shows_the_bounds_and_refuses_900(client, committee):
    c = committee
    item = _item(c)
    client.force_login(c.chair)
    page = client.get(reverse("comite:item", args=[item.session_id, item.pk]))
    assert "Montant possible : de 1 000 € à 15 000 €" in flat(page.content.decode())
    response = client.post(
        reverse("comite:open-vote", args=[item.session_id, item.pk]),
        {"amount": "900", "motivation": "Réduit."},
    )
    assert response.status_code == 400 and "en dessous de 1 000 €" in flat(response.content.decode())
    assert AgendaItem.objects.get(pk=item.pk).vote_state == AgendaItem.VoteState.PENDING


def test_no_path_approves_beyond_the_bounds(committee):
    """Defence in depth: the preparer on approve / waitlist refuses whatever fires them."""
    c = committee
    d = in_committee(c.campaign)
    with pytest.raises(TransitionRefused) as refused:
        envelope.approve_or_waitlist(d, by=c.chair, amount=Decimal("50000.00"), data={"item": d.item.pk})
    assert refused.value.rules == ["amount"]
    Campaign.objects.filter(pk=c.campaign.pk).update(envelope=Decimal("1000.00"))
    with pytest.raises(
        TransitionRefused
    ) as refused:  # beyond the envelope: the waiting list takes no such amount either
        envelope.approve_or_waitlist(d, by=c.chair, amount=Decimal("16000.00"), data={"item": d.item.pk})
    assert refused.value.rules == ["amount"]
    d.refresh_from_db()
    assert d.status == Status.IN_COMMITTEE and d.approved_amount is None


def test_waitlisted_amount_beyond_the_bounds_is_never_promoted(committee):
    """A waiting-list amount recorded before the bounds were enforced: the promotion skips it (its
    refusal audited) and promotes the next that fits, in ranking order."""
    c = committee
    campaign = c.campaign
    Campaign.objects.filter(pk=campaign.pk).update(envelope=Decimal("1000.00"))
    first = in_committee(campaign, score=90)
    second = in_committee(campaign, score=80)
    for d in (first, second):
        assert (
            envelope.approve_or_waitlist(d, by=c.chair, amount=Decimal("5000.00"), data={"item": d.item.pk})
            == "waitlist"
        )
    AgendaItem.objects.filter(pk=first.item.pk).update(
        outcome="waitlisted", decided_amount=Decimal("20000.00")
    )  # legacy data
    AgendaItem.objects.filter(pk=second.item.pk).update(
        outcome="waitlisted", decided_amount=Decimal("5000.00")
    )
    Campaign.objects.filter(pk=campaign.pk).update(envelope=Decimal("30000.00"))
    promoted = envelope.promote_waiting_list(campaign.pk, trigger="test")
    assert [d.pk for d in promoted] == [second.pk]
    first.refresh_from_db()
    assert first.status == Status.WAITLISTED
    refusal = AuditEvent.objects.get(action="comite_promotion_refused")
    assert refusal.object_id == str(first.pk) and refusal.data["payload"]["rules"] == ["amount"]


def test_dossier_that_cannot_be_awarded_is_still_voted_on_and_rejected(committee):
    """The proposal stands as instructed (0 € with an unfavourable opinion): the committee votes on
    it and rejects; an approval of it is refused (0 € is no grant)."""
    c = committee
    item = _item(c, proposed="0.00")
    comite_votes.open_vote(item, by=c.chair)
    vote_all(item, c, {m: "contre" for m in c.members})
    comite_votes.close_vote(item, by=c.chair)
    assert (
        decisions.decide(
            AgendaItem.objects.get(pk=item.pk),
            by=c.chair,
            outcome="reject",
            motivation="Projet non finançable.",
        ).outcome
        == AgendaItem.Outcome.REJECTED
    )


def test_adopted_motion_outside_the_bounds_cannot_be_approved(committee):
    c = committee
    item = _item(c, proposed="0.00")
    comite_votes.open_vote(item, by=c.chair)
    item = _adopt(item, c)
    with pytest.raises(ComiteRefused) as refused:
        decisions.decide(item, by=c.chair, outcome="approve")
    assert refused.value.rules == ["amount"] and "0 € n'est pas une subvention" in flat(refused.value.message)
    assert Dossier.objects.get(pk=item.dossier_id).status == Status.IN_COMMITTEE
