"""``manage.py add_user``: provisioning a user with roles, a commune for porteurs, a checked password."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.referentiel.models import Commune

pytestmark = pytest.mark.django_db

PASSWORD = "jumelage-Vosges-2026"
OTHER_PASSWORD = "echange-Bretagne-2027"


@pytest.fixture(autouse=True)
def password_env(monkeypatch, settings):
    """Every test runs with FJJ_PASSWORD set, unless it removes it; getpass must not be reached."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    monkeypatch.setenv("FJJ_PASSWORD", PASSWORD)

    def no_prompt(prompt=""):
        raise AssertionError(f"getpass appelé inopinément : {prompt}")

    monkeypatch.setattr("getpass.getpass", no_prompt)


@pytest.fixture
def commune():
    return Commune.objects.create(
        code="01001", name="L'Abergement-Clémenciat", departement="01", region="84", population=860
    )


@pytest.fixture
def other_commune():
    return Commune.objects.create(
        code="2A004", name="Ajaccio", departement="2A", region="94", population=73615
    )


def add_user(*args) -> str:
    out = io.StringIO()
    call_command("add_user", *args, stdout=out)
    return out.getvalue()


def roles_of(email: str) -> set[str]:
    return set(User.objects.get(email=email).groups.values_list("name", flat=True))


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.PORTEUR])
def test_add_user_creates_a_user_for_each_staff_role(role):
    output = add_user(
        f"{role}@fonds.example.fr", "--role", role, "--first-name", "Camille", "--last-name", "Martin"
    )

    user = User.objects.get(email=f"{role}@fonds.example.fr")
    assert roles_of(user.email) == {role}
    assert user.commune is None
    assert (user.first_name, user.last_name, user.username) == ("Camille", "Martin", user.email)
    assert user.check_password(PASSWORD)
    assert user.is_staff is (role == Role.ADMIN)
    assert f"Utilisateur créé : {user.email} — rôles : {role}" in output


def test_add_user_creates_a_porteur_bound_to_its_commune(commune):
    output = add_user("maire@abergement.fr", "--role", "porteur", "--commune", "01001")

    user = User.objects.get(email="maire@abergement.fr")
    assert roles_of(user.email) == {"porteur"}
    assert user.commune == commune
    assert not user.is_staff
    assert "commune L'Abergement-Clémenciat (01001)" in output


def test_admin_role_grants_access_to_django_admin():
    add_user("admin@fonds.example.fr", "--role", "admin")
    user = User.objects.get(email="admin@fonds.example.fr")
    assert user.is_staff and not user.is_superuser


def test_several_roles_can_be_given():
    add_user("multi@fonds.example.fr", "--role", "instructeur", "--role", "comite,finance")
    assert roles_of("multi@fonds.example.fr") == {"instructeur", "comite", "finance"}


def test_email_is_normalised_to_lower_case():
    add_user("  Jeanne.Dupont@Fonds.Example.FR ", "--role", "auditeur")
    assert User.objects.filter(email="jeanne.dupont@fonds.example.fr").exists()


def test_porteur_without_commune_is_refused():
    with pytest.raises(
        CommandError, match="Un porteur doit être rattaché à une commune : indiquez --commune"
    ):
        add_user("maire@abergement.fr", "--role", "porteur")
    assert not User.objects.exists()


def test_porteur_with_unknown_commune_is_refused(commune):
    with pytest.raises(CommandError, match="Commune inconnue : aucun code INSEE « 99999 »"):
        add_user("maire@nulle-part.fr", "--role", "porteur", "--commune", "99999")
    assert not User.objects.exists()


def test_commune_for_a_non_porteur_is_refused(commune):
    with pytest.raises(CommandError, match="--commune ne s'applique qu'au rôle porteur"):
        add_user("instructeur@fonds.example.fr", "--role", "instructeur", "--commune", "01001")
    assert not User.objects.exists()


def test_unknown_role_is_refused():
    with pytest.raises(
        CommandError, match="Rôle inconnu : « maire ». Rôles possibles : porteur, instructeur"
    ):
        add_user("x@fonds.example.fr", "--role", "maire")
    assert not User.objects.exists()


def test_missing_role_is_refused():
    with pytest.raises(CommandError, match="Indiquez au moins un rôle"):
        add_user("x@fonds.example.fr")


def test_invalid_email_is_refused():
    with pytest.raises(CommandError, match="Adresse électronique invalide"):
        add_user("pas-une-adresse", "--role", "auditeur")


def test_password_from_fjj_password_is_used_without_prompt():
    add_user("finance@fonds.example.fr", "--role", "finance")
    assert User.objects.get(email="finance@fonds.example.fr").check_password(PASSWORD)


def test_weak_password_is_refused_by_django_validators(monkeypatch):
    monkeypatch.setenv("FJJ_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="Mot de passe refusé : "):
        add_user("finance@fonds.example.fr", "--role", "finance")
    assert not User.objects.exists()


def test_password_too_similar_to_email_is_refused(monkeypatch):
    monkeypatch.setenv("FJJ_PASSWORD", "claude.tresorier")
    with pytest.raises(CommandError, match="Mot de passe refusé"):
        add_user("claude.tresorier@fonds.example.fr", "--role", "finance")


def test_password_is_prompted_twice_without_fjj_password(monkeypatch):
    monkeypatch.delenv("FJJ_PASSWORD")
    answers = iter([OTHER_PASSWORD, OTHER_PASSWORD])
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or next(answers))

    add_user("comite@fonds.example.fr", "--role", "comite")

    assert len(prompts) == 2
    assert User.objects.get(email="comite@fonds.example.fr").check_password(OTHER_PASSWORD)


def test_mismatched_prompted_passwords_are_refused(monkeypatch):
    monkeypatch.delenv("FJJ_PASSWORD")
    answers = iter([OTHER_PASSWORD, OTHER_PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    with pytest.raises(CommandError, match="Les deux mots de passe saisis ne correspondent pas"):
        add_user("comite@fonds.example.fr", "--role", "comite")
    assert not User.objects.exists()


def test_rerun_updates_roles_and_commune_and_says_so(commune, other_commune):
    add_user("agent@mairie.fr", "--role", "porteur", "--commune", "01001")

    output = add_user("agent@mairie.fr", "--role", "porteur", "--commune", "2A004")
    assert "Utilisateur existant mis à jour : agent@mairie.fr — commune : 01001 → 2A004" in output
    assert User.objects.get(email="agent@mairie.fr").commune == other_commune

    output = add_user("agent@mairie.fr", "--role", "instructeur", "--role", "admin")
    user = User.objects.get(email="agent@mairie.fr")
    assert roles_of(user.email) == {"instructeur", "admin"}
    assert user.commune is None and user.is_staff
    assert "rôles : porteur → instructeur, admin" in output
    assert User.objects.count() == 1


def test_rerun_with_the_same_arguments_is_idempotent(commune):
    add_user("maire@abergement.fr", "--role", "porteur", "--commune", "01001")
    events = AuditEvent.objects.count()

    output = add_user("maire@abergement.fr", "--role", "porteur", "--commune", "01001")

    assert "Utilisateur existant déjà à jour : maire@abergement.fr" in output
    assert User.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_removing_admin_role_removes_staff_access():
    add_user("ex-admin@fonds.example.fr", "--role", "admin")
    output = add_user("ex-admin@fonds.example.fr", "--role", "auditeur")
    assert not User.objects.get(email="ex-admin@fonds.example.fr").is_staff
    assert "accès à l'administration retiré" in output


def test_rerun_without_fjj_password_keeps_the_existing_password(monkeypatch):
    add_user("auditeur@fonds.example.fr", "--role", "auditeur")
    monkeypatch.delenv("FJJ_PASSWORD")
    add_user("auditeur@fonds.example.fr", "--role", "auditeur", "--role", "finance")  # no prompt expected
    assert User.objects.get(email="auditeur@fonds.example.fr").check_password(PASSWORD)


def test_rerun_with_a_new_fjj_password_changes_it(monkeypatch):
    add_user("auditeur@fonds.example.fr", "--role", "auditeur")
    monkeypatch.setenv("FJJ_PASSWORD", OTHER_PASSWORD)
    output = add_user("auditeur@fonds.example.fr", "--role", "auditeur")
    assert "mot de passe changé" in output
    assert User.objects.get(email="auditeur@fonds.example.fr").check_password(OTHER_PASSWORD)


def test_other_groups_are_kept_when_roles_change():
    from django.contrib.auth.models import Group

    add_user("instructeur@fonds.example.fr", "--role", "instructeur")
    user = User.objects.get(email="instructeur@fonds.example.fr")
    user.groups.add(Group.objects.create(name="lecteurs-statistiques"))
    add_user("instructeur@fonds.example.fr", "--role", "comite")
    assert roles_of(user.email) == {"comite", "lecteurs-statistiques"}


def test_user_creation_is_written_in_the_audit_trail(commune):
    add_user("maire@abergement.fr", "--role", "porteur", "--commune", "01001")
    event = AuditEvent.objects.get(action="accounts.user_created")
    assert '"roles":["porteur"]' in event.canonical
    assert '"commune":"01001"' in event.canonical
    assert PASSWORD not in event.canonical
