"""Read helpers of the comité pages: a member's seat checked in the session's own query, the
members read afresh and handed along by the page, nothing kept on the model objects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import Http404

from fonds.accounts.roles import roles_of
from fonds.comite import queries
from fonds.comite.models import Session
from tests.factories import make_user

from .conftest import new_session

pytestmark = pytest.mark.django_db

COMITE = Path(queries.__file__).parent
#: ``obj._name = …`` on anything but ``self`` / ``cls``: a private value kept on an object
PRIVATE_ASSIGNMENT = re.compile(r"^\s*(?!self\.|cls\.)[A-Za-z_][\w.]*\._[a-z]\w*\s*=[^=]")


def test_session_for_checks_a_members_seat_in_the_same_query(committee, django_assert_num_queries):
    c = committee
    session = new_session(c)
    member, outsider = c.others[0], make_user("comite")
    roles_of(member), roles_of(outsider)  # the roles are read once per request, before any page
    with django_assert_num_queries(1):
        assert queries.session_for(member, session.pk) == session
    with django_assert_num_queries(1), pytest.raises(Http404):
        queries.session_for(outsider, session.pk)


def test_chair_opens_the_session_even_without_a_member_row(committee):
    c = committee
    session = new_session(c)
    Session.members.through.objects.filter(session=session, user=c.chair).delete()
    assert queries.session_for(c.chair, session.pk) == session
    assert c.chair.pk in queries.members_of(session).ids


def test_members_are_read_afresh_never_kept_on_the_session(committee):
    c = committee
    session = new_session(c)
    first = queries.members_of(session)
    assert first.ids == {m.pk for m in c.members}
    assert [m.last_name for m in first.people] == sorted(m.last_name for m in c.members)
    session.members.remove(c.others[0])
    assert c.others[0].pk not in queries.members_of(session).ids
    assert not [name for name in vars(session) if name.startswith("_") and name != "_state"]


def test_no_comite_module_keeps_a_private_value_on_an_object():
    found = [
        f"{path.relative_to(COMITE)}:{n}: {line.strip()}"
        for path in sorted(COMITE.rglob("*.py"))
        if "migrations" not in path.parts
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if PRIVATE_ASSIGNMENT.match(line)
    ]
    assert found == []
