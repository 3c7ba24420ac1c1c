"""The decision-letter task: one letter and one email per mayor, the item loaded once (the task
runs 500 times at the end of a sitting; issue 19's two-worker speed-up)."""

from decimal import Decimal

from fonds.comite.models import AgendaItem
from fonds.comite.tasks import generate_decision_letter
from fonds.documents.models import GeneratedDocument

from .conftest import in_committee


def _decided(committee):
    d = in_committee(committee.campaign)
    AgendaItem.objects.filter(pk=d.item.pk).update(
        outcome=AgendaItem.Outcome.APPROVED,
        decided_amount=Decimal("4000.00"),
        proposed_amount=Decimal("4000.00"),
    )
    return d.item


def test_decision_letter_task_makes_the_letter_with_the_item_loaded_once(
    committee, django_assert_max_num_queries, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = _decided(committee)
    with django_assert_max_num_queries(24):
        result = generate_decision_letter(item.pk)
    assert GeneratedDocument.objects.filter(kind="decision_letter", pk=result["document"]).exists()


def test_decision_letter_task_ignores_an_undecided_item(committee):
    d = in_committee(committee.campaign)
    assert generate_decision_letter(d.item.pk) is None
    assert not GeneratedDocument.objects.filter(kind="decision_letter").exists()
