"""Domain data changes only through audited paths: the Django admin reads, it never writes (issue 14:
a campaign's envelope 5,000,000 → 9,999,999 € and a commune's population 415 → 99,999 were changed
there with no event in the chain). Add, change and delete are refused to everybody, superusers
included, for every model the admin shows — ours and the libraries' — but the display settings
of ``EDITABLE_IN_ADMIN``; the pages stay readable."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.auth.models import Group

from fonds.audit.admin import EDITABLE_IN_ADMIN, ReadOnlyAdminMixin, lock_admin_site
from fonds.audit.models import AuditEvent
from fonds.referentiel.models import Campaign, Commune
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db

#: what the chain covers (or what moves the dossiers) among the models the admin shows: whatever
#: else changes in the registry, these stay registered and read only
AUDITED_MODELS = {
    "referentiel.campaign",
    "referentiel.ruleset",
    "referentiel.commune",
    "referentiel.partnertown",
    "referentiel.jumelage",
    "dossiers.dossier",
    "accounts.user",
    "auth.group",
    "audit.auditevent",
    "audit.chainhead",
    "otp_totp.totpdevice",
    "authtoken.tokenproxy",
    "viewflow.process",
    "viewflow.task",
}


@pytest.fixture
def superuser_request(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    return request


def test_admin_is_read_only_for_audited_models(superuser_request):
    """Walks every model registered in the admin site: none but the display settings may be added,
    changed or deleted (nor bulk-acted on), even by a superuser; each stays readable."""
    registry = {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}
    assert AUDITED_MODELS <= set(registry), AUDITED_MODELS - set(registry)
    checked = 0
    for label, model_admin in registry.items():
        if label in EDITABLE_IN_ADMIN:
            continue
        request, obj = superuser_request, model_admin.model._default_manager.first()
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request, obj), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request, obj), label
        assert not model_admin.get_actions(request), label
        assert model_admin.has_view_permission(request, obj), label
        for inline in model_admin.get_inline_instances(request, obj):
            for may in (
                inline.has_add_permission,
                inline.has_change_permission,
                inline.has_delete_permission,
            ):
                assert not may(request, obj), (label, inline, may.__name__)
        checked += 1
    assert checked == len(registry) - len(EDITABLE_IN_ADMIN & set(registry))


def test_only_the_site_display_settings_stay_editable_in_the_admin():
    """Adding a model here lets the admin write it without an audit event: decide it in a review."""
    assert EDITABLE_IN_ADMIN == {"dsfr.dsfrconfig"}


def test_any_other_admin_registration_is_made_read_only():
    """A library's ModelAdmin registered later is locked like ours (``AuditConfig.ready``)."""
    site = AdminSite(name="essai")
    site.register(Group, ModelAdmin)
    assert lock_admin_site(site) == ["auth.group"]
    assert isinstance(site._registry[Group], ReadOnlyAdminMixin)
    assert lock_admin_site(site) == []  # once is enough


def _no_new_event(before: int) -> bool:
    return AuditEvent.objects.count() == before


def test_admin_post_to_a_campaign_change_form_changes_nothing(admin_client):
    campaign = make_campaign(envelope=Decimal("5000000.00"))
    events = AuditEvent.objects.count()
    url = f"/admin/referentiel/campaign/{campaign.pk}/change/"
    assert admin_client.get(url).status_code == 200  # still readable
    data = {
        "name": campaign.name,
        "year": campaign.year,
        "envelope": "9999999.00",
        "opens_at_0": "2026-01-01",
        "opens_at_1": "00:00:00",
        "closes_at_0": "2026-12-31",
        "closes_at_1": "00:00:00",
        "rulesets-TOTAL_FORMS": "0",
        "rulesets-INITIAL_FORMS": "0",
        "_save": "Enregistrer",
    }
    assert admin_client.post(url, data).status_code == 403
    campaign.refresh_from_db()
    assert campaign.envelope == Decimal("5000000.00") and _no_new_event(events)


def test_admin_post_to_a_commune_change_form_changes_nothing(admin_client):
    commune = make_commune(population=415)
    events = AuditEvent.objects.count()
    url = f"/admin/referentiel/commune/{commune.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "415" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # read only: no save button
    data = {
        "code": commune.code,
        "name": commune.name,
        "departement": commune.departement,
        "region": commune.region,
        "zone": commune.zone,
        "population": "99999",
        "_save": "Enregistrer",
    }
    assert admin_client.post(url, data).status_code == 403
    assert Commune.objects.get(pk=commune.pk).population == 415 and _no_new_event(events)


def test_admin_adds_and_deletes_nothing(admin_client):
    commune = make_commune(population=415)
    communes, campaigns, events = (
        Commune.objects.count(),
        Campaign.objects.count(),
        AuditEvent.objects.count(),
    )
    added = {"code": "99999", "name": "Nouvelle", "population": "12"}
    assert admin_client.post("/admin/referentiel/commune/add/", added).status_code == 403
    assert (
        admin_client.post("/admin/referentiel/campaign/add/", {"name": "Autre", "envelope": "1"}).status_code
        == 403
    )
    assert (
        admin_client.post(f"/admin/referentiel/commune/{commune.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    bulk = {"action": "delete_selected", "_selected_action": [commune.pk], "post": "yes"}
    assert admin_client.post("/admin/referentiel/commune/", bulk).status_code in (
        200,
        302,
    )  # no such action: the list
    assert Commune.objects.count() == communes and Campaign.objects.count() == campaigns
    assert _no_new_event(events)


def test_admin_changes_no_user_nor_password(admin_client):
    """Accounts and roles change through ``manage.py add_user`` (audited), not the admin."""
    user = make_user("instructeur", first_name="Inès")
    password = user.password
    assert admin_client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    change = {"email": user.email, "first_name": "Autre", "is_superuser": "on"}
    assert admin_client.post(f"/admin/accounts/user/{user.pk}/change/", change).status_code == 403
    password_form = {"password1": "nouveau-mot-de-passe-2026", "password2": "nouveau-mot-de-passe-2026"}
    assert admin_client.post(f"/admin/accounts/user/{user.pk}/password/", password_form).status_code == 403
    assert admin_client.post("/admin/auth/group/add/", {"name": "instructeur-bis"}).status_code == 403
    assert not Group.objects.filter(name="instructeur-bis").exists()
    user.refresh_from_db()
    assert user.first_name == "Inès" and not user.is_superuser and user.password == password


def test_admin_dossier_page_shows_no_participants_ages(admin_client):
    """A superuser need not hold a role of the privacy rule (fonds.privacy.access): no ages here."""
    dossier = make_dossier(youth_ages=[13, 29, 17, 23, 19], leader_ages=[37, 58])
    html = admin_client.get(f"/admin/dossiers/dossier/{dossier.pk}/change/").content.decode()
    assert dossier.reference in html
    assert "13, 29, 17" not in html and "[13, 29" not in html and "37, 58" not in html
