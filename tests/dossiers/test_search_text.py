"""``Dossier.search_text`` (the instructors' search) follows the content edits and stays out of
the audit trail: a column the database derives, never content."""

import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers import editing
from fonds.dossiers.models import Dossier
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _text(dossier):
    return Dossier.objects.values_list("search_text", flat=True).get(pk=dossier.pk)


def test_search_text_of_a_draft_created_by_the_porteur():
    commune = make_commune(code="42218", name="Saint-Étienne")
    porteur = make_user("porteur", commune=commune)
    dossier = editing.create_draft(by=porteur, campaign=make_campaign(), fields={"title": "Séjour à Écija"})
    reference = dossier.reference.lower().replace("-", " ")
    assert _text(dossier) == f"{reference} sejour a ecija saint etienne 42218"


def test_search_text_follows_a_title_edit_and_is_not_audited():
    commune = make_commune(code="42218", name="Saint-Étienne")
    porteur = make_user("porteur", commune=commune)
    dossier = make_dossier(commune=commune, porteur=porteur, complete=False)
    editing.update_content(dossier, by=porteur, fields={"title": "Rencontre théâtrale"})
    assert "rencontre theatrale saint etienne" in _text(dossier)
    event = AuditEvent.objects.filter(action="update_content").latest("seq")
    assert "title" in event.canonical and "search_text" not in event.canonical


def test_search_text_not_editable_by_the_porteur():
    assert "search_text" not in editing.EDITABLE_FIELDS
    dossier = make_dossier(complete=False)
    with pytest.raises(ValueError):
        editing.update_content(dossier, by=dossier.created_by, fields={"search_text": "x"})
