"""The accounts administration pages (/administration/comptes/): administrators change, auditors
read, others are refused; confirmations before disruptive steps; the CSV import in two steps."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from fonds.accounts.models import User
from fonds.accounts.roles import roles_of
from fonds.audit.models import AuditEvent
from tests.factories import make_campaign, make_commune, make_user

pytestmark = pytest.mark.django_db
LIST = "/administration/comptes/"


@pytest.fixture
def admin(client):
    user = make_user("admin", first_name="Ada", last_name="Admin")
    client.force_login(user)
    return user


def url(user, action=""):
    return f"{LIST}{user.pk}/{action}"


# ---- permissions -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("role", ["porteur", "instructeur", "finance", "comite"])
def test_only_administrators_and_auditors_see_accounts(client, role):
    user = make_user(role, commune=make_commune() if role == "porteur" else None)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(url(user)).status_code == 403


def test_auditor_reads_accounts_but_changes_nothing(client):
    auditor, agent = make_user("auditeur"), make_user("instructeur")
    client.force_login(auditor)
    assert client.get(LIST).status_code == 200
    page = client.get(url(agent)).content.decode()
    assert "Enregistrer les rôles" not in page and "Désactiver le compte" not in page
    assert client.post(url(agent, "desactiver/"), {"confirm": "on"}).status_code == 403
    assert client.post(url(agent), {"roles": ["admin"]}).status_code == 403
    assert 'type="file"' not in client.get(f"{LIST}inviter/maires/").content.decode()
    upload = SimpleUploadedFile("m.csv", b"01001;m@x.fr;A\n")
    assert client.post(f"{LIST}inviter/maires/", {"file": upload}).status_code == 403
    agent.refresh_from_db()
    assert agent.is_active and roles_of(agent) == {"instructeur"}


# ---- list --------------------------------------------------------------------------------------


def test_account_list_filters_by_role_commune_and_state(client, admin):
    commune = make_commune("01001", name="Ambérieu")
    mayor = make_user("porteur", commune=commune, email="maire@amberieu.fr")
    make_user("instructeur", email="instr@fonds.fr")
    make_user("porteur", commune=make_commune(), email="ancien@x.fr", is_active=False)
    page = client.get(LIST, {"role": "porteur", "commune": "01001"}).content.decode()
    assert mayor.email in page and "instr@fonds.fr" not in page and "ancien@x.fr" not in page
    page = client.get(LIST, {"active": "non"}).content.decode()
    assert "ancien@x.fr" in page and mayor.email not in page
    page = client.get(LIST, {"commune": "ambérieu"}).content.decode()
    assert mayor.email in page


def test_account_list_query_count_does_not_grow_with_rows(client, admin, django_assert_max_num_queries):
    for _ in range(60):
        make_user(["instructeur", "auditeur"])
    for _ in range(5):
        make_user("porteur", commune=make_commune())
    with django_assert_max_num_queries(7):  # session, user, DSFR config, unread notices, count, page, groups
        response = client.get(LIST, {"taille": "100"})
    page = response.content.decode()
    assert response.status_code == 200 and page.count("@test.fjj.fr</a>") == 66  # every account, one page
    assert "Instructeur, Auditeur" in page or "Auditeur, Instructeur" in page


# ---- actions -----------------------------------------------------------------------------------


def test_deactivation_asks_for_confirmation(client, admin):
    agent = make_user("instructeur")
    assert "Je désactive ce compte" in client.get(url(agent, "desactiver/")).content.decode()
    response = client.post(url(agent, "desactiver/"), {})
    assert response.status_code == 400 and "Cochez la case" in response.content.decode()
    agent.refresh_from_db()
    assert agent.is_active
    response = client.post(url(agent, "desactiver/"), {"confirm": "on"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.is_active
    assert AuditEvent.objects.filter(action="account_deactivated", object_id=str(agent.pk)).count() == 1


def test_reactivation_page(client, admin):
    agent = make_user("instructeur", is_active=False)
    assert client.post(url(agent, "reactiver/"), {"confirm": "on"}).status_code == 302
    agent.refresh_from_db()
    assert agent.is_active


def test_administrator_cannot_deactivate_themselves_on_the_page(client, admin):
    make_user("admin")
    response = client.post(url(admin, "desactiver/"), {"confirm": "on"})
    assert response.status_code == 409 and "propre compte" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_roles_change_on_the_account_page(client, admin):
    agent = make_user("instructeur")
    response = client.post(url(agent), {"roles": ["finance", "auditeur"]})
    assert response.status_code == 302
    assert roles_of(User.objects.get(pk=agent.pk)) == {"finance", "auditeur"}
    event = AuditEvent.objects.get(action="account_roles_changed", object_id=str(agent.pk))
    assert event.data["payload"]["before"]["roles"] == ["instructeur"]


def test_last_administrator_keeps_the_role_on_the_page(client, admin):
    response = client.post(url(admin), {"roles": ["instructeur"]})
    assert response.status_code == 409 and "dernier administrateur" in response.content.decode()
    assert roles_of(User.objects.get(pk=admin.pk)) == {"admin"}


def test_porteur_role_with_unknown_commune_is_a_form_error(client, admin):
    agent = make_user("instructeur")
    response = client.post(url(agent), {"roles": ["porteur"], "commune": "99999"})
    assert response.status_code == 400 and "Aucune commune" in response.content.decode()


def test_second_factor_reset_page(client, admin):
    agent = make_user("instructeur")
    TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    assert client.post(url(agent, "double-authentification/"), {}).status_code == 400
    assert TOTPDevice.objects.filter(user=agent).exists()
    assert client.post(url(agent, "double-authentification/"), {"confirm": "on"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert AuditEvent.objects.filter(action="two_factor_reset", object_id=str(agent.pk)).exists()


# ---- CSV import --------------------------------------------------------------------------------


def upload(client, kind, data):
    return client.post(
        f"{LIST}inviter/{kind}/", {"file": SimpleUploadedFile(f"{kind}.csv", data.encode("utf-8"))}
    )


def test_csv_upload_shows_the_report_and_creates_nothing(client, admin):
    make_campaign()
    make_commune("01001", population=800)
    make_commune("75056", population=2_100_000)
    data = "\ufeffcode_insee;email;nom\n01001;maire@commune.fr;Anne Martin\n75056;maire@paris.fr;B\n"
    response = upload(client, "maires", data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "1 ligne acceptée" in page and "1 refusée" in page and "au-delà du seuil" in page
    assert "Inviter 1 compte" in page
    assert not User.objects.filter(email__in=["maire@commune.fr", "maire@paris.fr"]).exists()


def test_csv_confirmation_invites_in_the_background_then_shows_the_report(
    client, admin, django_capture_on_commit_callbacks
):
    make_commune("01001", population=800)
    page_url = upload(client, "maires", "01001;maire@commune.fr;Anne Martin\n99999;x@y.fr;B\n")["Location"]
    assert client.post(f"{page_url}confirmer/").status_code == 400
    assert not User.objects.filter(email="maire@commune.fr").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{page_url}confirmer/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == page_url
    page = client.get(page_url).content.decode()
    assert "1 compte créé et invité" in page and "code INSEE inconnu" in page and 'data-over="1"' in page
    assert User.objects.filter(email="maire@commune.fr").count() == 1
    assert [m.to for m in mail.outbox] == [["maire@commune.fr"]]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{page_url}confirmer/", {"confirm": "on"})
    assert User.objects.filter(email="maire@commune.fr").count() == 1 and len(mail.outbox) == 1


def test_csv_import_progress_json(client, admin):
    make_commune("01001", population=800)
    page_url = upload(client, "maires", "01001;maire@commune.fr;A\n99999;x@y.fr;B\n")["Location"]
    status = client.get(f"{page_url}etat.json").json()
    assert (status["status"], status["total"], status["done"], status["refused"]) == ("checked", 1, 0, 1)
    assert status["over"] is False and status["status_label"] == "Contrôlé, à confirmer"


def test_csv_import_page_shows_progress_while_the_task_runs(client, admin):
    make_commune("01001", population=800)
    page_url = upload(client, "maires", "01001;maire@commune.fr;A\n")["Location"]
    client.post(f"{page_url}confirmer/", {"confirm": "on"})  # the task waits for the commit
    page = client.get(page_url).content.decode()
    assert "<progress" in page and 'data-over="0"' in page and "bulk/progress.js" in page


def test_auditor_reads_an_import_but_cannot_confirm_it(client, admin):
    make_commune("01001", population=800)
    page_url = upload(client, "maires", "01001;maire@commune.fr;A\n")["Location"]
    auditor = Client()
    auditor.force_login(make_user("auditeur"))
    page = auditor.get(page_url)
    assert page.status_code == 200 and "Inviter 1 compte" not in page.content.decode()
    assert auditor.post(f"{page_url}confirmer/", {"confirm": "on"}).status_code == 403


def test_unreadable_csv_keeps_the_form_with_a_french_error(client, admin):
    upload = SimpleUploadedFile("vide.csv", b"code_insee;email;nom\n")
    response = client.post(f"{LIST}inviter/agents/", {"file": upload})
    assert response.status_code == 400 and "aucune ligne" in response.content.decode()


def test_unknown_import_kind_is_404(client, admin):
    assert client.get(f"{LIST}inviter/inconnus/").status_code == 404


def test_unlink_proconnect_page(client, admin):
    agent = make_user("instructeur", proconnect_sub="pc-9")
    assert "Délier l'identité ProConnect" in client.get(url(agent)).content.decode()
    assert client.post(url(agent, "proconnect/"), {"confirm": "on"}).status_code == 302
    agent.refresh_from_db()
    assert agent.proconnect_sub is None


def test_deactivated_account_is_signed_out_of_its_open_session(client, admin):
    agent = make_user("instructeur")
    browser = Client()
    browser.force_login(agent)
    assert browser.get("/taches/").status_code == 200
    client.post(url(agent, "desactiver/"), {"confirm": "on"})
    response = browser.get("/taches/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
