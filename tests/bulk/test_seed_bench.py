"""``seed_bench``: the benchmark data set (real communes, every status, every side table a
production database fills, a verifiable audit trail) — a tiny one here."""

import pytest
from django.core.management import call_command
from django.db import transaction

from fonds.audit.chain import verify
from fonds.audit.models import AuditEvent
from fonds.comite.models import AgendaItem, Attendance, CommitteeMember, Session, Vote
from fonds.dossiers.models import CorrectionRequest, Dossier, Message
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.instruction.models import AmountProposal, Assessment, EligibilityOverride, Score
from fonds.payments.models import BankDetails, Batch, BatchItem, PaymentOrder, Settlement
from fonds.referentiel.models import Campaign

pytestmark = pytest.mark.django_db

SIDE_TABLES = [
    EligibilityRun,
    Verdict,
    EligibilityOverride,
    Score,
    Assessment,
    AmountProposal,
    CorrectionRequest,
    Message,
    CommitteeMember,
    Session,
    Attendance,
    AgendaItem,
    Vote,
    BankDetails,
    PaymentOrder,
    Batch,
    BatchItem,
    Settlement,
]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One tiny data set for the module's tests, rolled back after them."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_bench", campaigns=1, scale=0.01, seed=7)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_seed_bench_creates_a_campaign_of_dossiers_in_many_statuses(seeded):
    assert Campaign.objects.count() == 1
    count = Dossier.objects.count()
    assert 300 <= count <= 330  # 1 % of the ~31,700 communes of ≤ 3,500 inhabitants
    assert Dossier.objects.values("status").distinct().count() >= 12
    assert Dossier.objects.values("commune").distinct().count() == count  # one per commune


@pytest.mark.parametrize("model", SIDE_TABLES, ids=lambda m: m._meta.label)
def test_seed_bench_fills_every_side_table(seeded, model):
    assert model.objects.exists()


def test_seed_bench_runs_hold_the_nine_eligibility_verdicts(seeded):
    codes = set(Verdict.objects.values_list("code", flat=True).distinct())
    assert codes == {f"E{n}" for n in range(1, 10)}
    run = EligibilityRun.objects.first()
    assert run.verdicts.count() == 9


def test_seed_bench_audit_trail_verifies_with_tens_of_events_per_dossier(seeded):
    result = verify()
    assert result.ok
    assert result.count >= 40 * Dossier.objects.count()
    assert AuditEvent.objects.filter(action="comite_vote_cast").count() == Vote.objects.count()


def test_seed_bench_leaves_sequences_past_its_keys(seeded):
    """Explicit keys: the next ordinary insert must not collide with a seeded row."""
    dossier = Dossier.objects.first()
    message = Message.objects.create(dossier=dossier, author=dossier.created_by, body="Nouveau message.")
    assert message.pk > Message.objects.exclude(pk=message.pk).order_by("-pk").first().pk
