"""Two finance users building batches at the same time never share an order (PostgreSQL, threads)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from fonds.payments.batches import BuildResult, build_batch, cancel_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.models import BatchItem, OrderState, PaymentOrder

from .conftest import certified_bank, signed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _concurrent(callables):
    barrier = threading.Barrier(len(callables))
    results = [None] * len(callables)

    def run(i, func):
        try:
            barrier.wait(timeout=10)
            results[i] = func()
        except Exception as exc:  # noqa: BLE001 - collected and checked by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(callables)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_finance_users_building_at_once_never_share_an_order(cast):
    dossiers = [signed(cast) for _ in range(12)]
    certified_bank(cast, dossier=dossiers[0])
    ids = list(PaymentOrder.objects.filter(state=OrderState.READY).values_list("pk", flat=True))
    assert len(ids) == 12
    for _round in range(3):
        results = _concurrent(
            [
                lambda: build_batch(by=cast.finance, order_ids=ids),
                lambda: build_batch(by=cast.finance2, order_ids=list(reversed(ids))),
                lambda: build_batch(by=cast.finance, filters={"commune": cast.commune.pk}),
            ]
        )
        built = [r for r in results if isinstance(r, BuildResult)]
        refused = [r for r in results if isinstance(r, PaymentRefused)]
        assert built and len(built) + len(refused) == 3, (
            results
        )  # no other error (no deadlock, no IntegrityError)
        live = Counter(BatchItem.objects.filter(live=True).values_list("order_id", flat=True))
        assert set(live) == set(ids) and max(live.values()) == 1  # each order in exactly one live batch
        assert sum(r.batch.count for r in built) == 12
        assert PaymentOrder.objects.filter(pk__in=ids, state=OrderState.IN_BATCH).count() == 12
        for r in built:
            cancel_batch(r.batch, by=cast.finance)  # free them for the next round
