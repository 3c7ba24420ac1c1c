"""Queue counters stay one small grouped query whatever the number of open tasks."""

import pytest

from workflows import queues

from .conftest import act

pytestmark = pytest.mark.django_db


def test_counts_for_is_one_grouped_query_equal_to_the_listing(cast, new_dossier, django_assert_num_queries):
    from fonds.accounts.roles import roles_of

    dossiers = [new_dossier() for _ in range(4)]
    for dossier in dossiers:
        act(cast, dossier, "submit", "porteur")
    act(cast, dossiers[0], "start_instruction", "instructeur")  # now assigned to instructeur only
    for user in (cast.instructeur, cast.instructeur2, cast.porteur, cast.comite):
        roles_of(user)  # read once per request elsewhere
        expected: dict = {}
        for task in queues.open_tasks_for(user):
            expected[queues.queue_of(task)] = expected.get(queues.queue_of(task), 0) + 1
        with django_assert_num_queries(1) as captured:
            counts = queues.counts_for(user)
        assert counts == expected
        sql = captured.captured_queries[0]["sql"].upper()
        assert "GROUP BY" in sql and "ORDER BY" not in sql
    assert queues.counts_for(cast.instructeur) == {"instructeur": 4}
    assert queues.counts_for(cast.instructeur2) == {"instructeur": 3}
