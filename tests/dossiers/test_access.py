"""Who reads, creates and edits which dossier (règlement, « Actors »; ``fonds/dossiers/access.py``).

Nobody sees a dossier of another commune unless their role covers all dossiers; the porteur
creates and edits its commune's dossiers, and edits them only in draft or when corrections are
requested; a committee member recused on a dossier (déport) no longer reads it, unless another
back-office role of theirs needs it. Users and dossiers are read back from the database, as a
request and a service see them.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from fonds import clock
from fonds.comite.models import AgendaItem, ConflictDeclaration, Session
from fonds.dossiers.access import (
    can_create,
    can_edit,
    can_see,
    dossier_pk_or_404,
    get_visible_or_404,
    recused_dossiers,
    visible_dossiers,
)
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db

BACK_OFFICE_ROLES = ("instructeur", "comite", "finance", "auditeur", "admin")


def _fresh(obj):
    """``obj`` as a new request or service reads it: from the database, nothing cached."""
    return type(obj).objects.get(pk=obj.pk)


def _pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def communes():
    """Two communes, each with its mayor and a draft dossier; the first has a second dossier."""
    campaign = make_campaign()
    here, there = make_commune(), make_commune()
    mayor = make_user("porteur", commune=here)
    other_mayor = make_user("porteur", commune=there)
    ours = make_dossier(campaign=campaign, commune=here, porteur=mayor, complete=False)
    also_ours = make_dossier(campaign=campaign, commune=here, porteur=mayor, complete=False)
    theirs = make_dossier(campaign=campaign, commune=there, porteur=other_mayor, complete=False)
    return campaign, _fresh(mayor), _fresh(other_mayor), _fresh(ours), _fresh(also_ours), _fresh(theirs)


def _recuse(member, dossier, campaign):
    """``member`` declared a link with ``dossier`` on a committee agenda item (test setup: the
    declaration itself is tested in tests/comite)."""
    chair = make_user("comite")
    session = Session.objects.create(
        campaign=campaign, starts_at=clock.now(), chair=chair, created_by=chair, place="Salle du conseil"
    )
    item = AgendaItem.objects.create(session=session, dossier=dossier, rank=1)
    ConflictDeclaration.objects.create(item=item, member=member, reason="Élu de la commune.")


# --- the porteur: its own commune only ---------------------------------------------------------


def test_mayor_reads_the_dossiers_of_their_commune_only(communes):
    _, mayor, other_mayor, ours, also_ours, theirs = communes
    assert _pks(visible_dossiers(mayor)) == {ours.pk, also_ours.pk}
    assert _pks(visible_dossiers(other_mayor)) == {theirs.pk}
    assert can_see(mayor, ours) and can_see(other_mayor, theirs)
    assert not can_see(mayor, theirs)
    assert not can_see(other_mayor, ours)


def test_dossier_of_another_commune_is_not_found_never_forbidden(communes):
    _, mayor, other_mayor, ours, _, theirs = communes
    assert get_visible_or_404(mayor, ours.pk) == ours
    assert get_visible_or_404(other_mayor, str(theirs.pk)) == theirs
    with pytest.raises(Http404):
        get_visible_or_404(other_mayor, ours.pk)
    with pytest.raises(Http404):
        get_visible_or_404(mayor, theirs.pk)


def test_mayor_creates_dossiers_for_their_commune(communes):
    _, mayor, _, _, _, _ = communes
    assert can_create(mayor)


def test_mayor_edits_only_in_draft_or_when_corrections_are_requested(communes):
    _, mayor, _, ours, _, _ = communes
    editable = {Status.DRAFT, Status.CORRECTIONS_REQUESTED}
    for status in Status:
        Dossier.objects.filter(pk=ours.pk).update(status=status)
        assert can_edit(mayor, _fresh(ours)) is (status in editable), status


def test_mayor_of_another_commune_never_edits_a_draft(communes):
    _, mayor, other_mayor, ours, _, theirs = communes
    assert can_edit(other_mayor, theirs)
    assert not can_edit(other_mayor, ours)
    assert not can_edit(mayor, theirs)


def test_commune_account_without_the_porteur_role_reads_creates_and_edits_nothing(communes):
    """An account still bound to the commune whose porteur role was withdrawn (or never given)."""
    _, _, _, ours, _, _ = communes
    for roles in ([], ["expert"]):
        former = _fresh(make_user(roles, commune=ours.commune))
        assert not visible_dossiers(former).exists(), roles
        assert not can_see(former, ours), roles
        assert not can_edit(former, ours), roles
        assert not can_create(former), roles
        with pytest.raises(Http404):
            get_visible_or_404(former, ours.pk)


def test_porteur_bound_to_no_commune_reads_and_creates_nothing(communes):
    _, _, _, ours, _, _ = communes
    unbound = _fresh(make_user("porteur"))
    assert not visible_dossiers(unbound).exists()
    assert not can_see(unbound, ours)
    assert not can_edit(unbound, ours)
    assert not can_create(unbound)


# --- the back office: every commune, no editing -------------------------------------------------


def test_every_back_office_role_reads_every_commune_dossier(communes):
    _, _, _, ours, also_ours, theirs = communes
    for role in BACK_OFFICE_ROLES:
        agent = _fresh(make_user(role))
        assert _pks(visible_dossiers(agent)) == {ours.pk, also_ours.pk, theirs.pk}, role
        assert can_see(agent, ours) and can_see(agent, theirs), role
        assert get_visible_or_404(agent, theirs.pk) == theirs, role


def test_back_office_roles_neither_create_nor_edit_a_commune_dossier(communes):
    """Only the porteur edits: an instructor requests corrections, an auditor changes nothing."""
    _, _, _, ours, _, _ = communes
    for role in BACK_OFFICE_ROLES:
        agent = _fresh(make_user(role))
        assert not can_edit(agent, ours), role
        assert not can_create(agent), role


def test_expert_alone_reads_no_dossier_through_the_dossier_screens(communes):
    """An outside expert reads only the avis requests addressed to them (their own screens)."""
    _, _, _, ours, _, _ = communes
    expert = _fresh(make_user("expert"))
    assert not visible_dossiers(expert).exists()
    assert not can_see(expert, ours)


def test_anonymous_reads_creates_and_edits_nothing(communes):
    _, _, _, ours, _, _ = communes
    for nobody in (AnonymousUser(), None):
        assert not visible_dossiers(nobody).exists()
        assert not recused_dossiers(nobody).exists()
        assert not can_see(nobody, ours)
        assert not can_edit(nobody, ours)
        assert not can_create(nobody)
    with pytest.raises(Http404):
        get_visible_or_404(AnonymousUser(), ours.pk)


# --- the committee: recusal (déport) ------------------------------------------------------------


def test_recused_committee_member_reads_none_of_the_dossier_but_still_the_others(communes):
    campaign, _, _, ours, also_ours, theirs = communes
    member, colleague = _fresh(make_user("comite")), _fresh(make_user("comite"))
    _recuse(member, ours, campaign)
    assert _pks(visible_dossiers(member)) == {also_ours.pk, theirs.pk}
    assert _pks(Dossier.objects.filter(pk__in=recused_dossiers(member))) == {ours.pk}
    with pytest.raises(Http404):
        get_visible_or_404(member, ours.pk)
    assert _pks(visible_dossiers(colleague)) == {ours.pk, also_ours.pk, theirs.pk}
    assert not recused_dossiers(colleague).exists()


def test_recusal_does_not_hide_the_dossier_from_a_member_with_another_back_office_role(communes):
    """The instructor of a dossier is recused by office and still instructs it; finance pays it;
    an auditor or an administrator reads everything."""
    campaign, _, _, ours, also_ours, theirs = communes
    for role in ("instructeur", "finance", "auditeur", "admin"):
        member = _fresh(make_user(["comite", role]))
        _recuse(member, ours, campaign)
        assert _pks(visible_dossiers(member)) == {ours.pk, also_ours.pk, theirs.pk}, role
        assert _pks(Dossier.objects.filter(pk__in=recused_dossiers(member))) == {ours.pk}, role


# --- the reading paths: a narrowed list, an id from a URL ---------------------------------------


def test_reading_narrows_the_list_it_is_given_never_widens_it(communes):
    campaign, mayor, _, ours, also_ours, theirs = communes
    instructor, member = _fresh(make_user("instructeur")), _fresh(make_user("comite"))
    _recuse(member, ours, campaign)
    only_ours = Dossier.objects.filter(pk=ours.pk)
    assert _pks(visible_dossiers(instructor, only_ours)) == {ours.pk}
    assert _pks(visible_dossiers(mayor, Dossier.objects.exclude(pk=also_ours.pk))) == {ours.pk}
    assert not visible_dossiers(member, only_ours).exists()
    with pytest.raises(Http404):
        get_visible_or_404(instructor, theirs.pk, queryset=only_ours)


def test_unknown_dossier_is_not_found(communes):
    _, _, _, _, _, theirs = communes
    instructor = _fresh(make_user("instructeur"))
    with pytest.raises(Http404):
        get_visible_or_404(instructor, theirs.pk + 1000)


def test_dossier_id_that_is_no_whole_number_is_not_found():
    for pk in ("abc", "", "1.5", None, [], float("inf"), float("nan")):
        with pytest.raises(Http404):
            dossier_pk_or_404(pk)


def test_dossier_id_outside_the_database_integer_range_is_not_found():
    """Ids are positive 64-bit integers: 1 to 2**63 - 1."""
    assert dossier_pk_or_404("1") == 1
    assert dossier_pk_or_404(2**63 - 1) == 2**63 - 1
    for pk in (0, -1, "-5", 2**63, 2**64, str(10**30)):
        with pytest.raises(Http404):
            dossier_pk_or_404(pk)
