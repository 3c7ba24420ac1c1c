"""Journey 1: invitation link (one-time, expiring) and password reset by email."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from fonds.audit.models import AuditEvent
from fonds.depot.invitations import invitation_path, invitation_tokens, send_invitation
from tests.factories import make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Jumelage-Printemps-2027"


@pytest.fixture
def invited(commune):
    user = make_user("porteur", commune=commune, email="maire@commune.fr")
    user.set_unusable_password()
    user.save()
    return user


def accept(client, path, password=NEW_PASSWORD):
    response = client.get(path)
    assert response.status_code == 302  # token moved from the URL into the session
    form_url = response["Location"]
    assert "set-password" in form_url
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_invitation_email_contains_a_working_link(client, invited, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        url = send_invitation(invited)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maire@commune.fr"]
    assert url in mail.outbox[0].body and "7 jours" in mail.outbox[0].body
    path = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    response = accept(client, path)
    assert response.status_code == 302 and response["Location"] == reverse("depot:my-dossiers")
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert client.get(reverse("depot:my-dossiers")).status_code == 200  # signed in
    assert AuditEvent.objects.filter(action="invitation_sent", object_id=str(invited.pk)).count() == 1
    assert AuditEvent.objects.filter(action="invitation_accepted", object_id=str(invited.pk)).count() == 1


def test_invitation_link_is_one_time(client, invited):
    path = invitation_path(invited)
    accept(client, path)
    client.logout()
    response = client.get(path)
    assert (
        response.status_code == 200
        and "Ce lien d&#x27;invitation n&#x27;est plus valable"
        in response.content.decode().replace("'", "&#x27;")
    )


def test_invitation_link_expires(client, invited, settings):
    now = dt.datetime.now()
    fresh = invitation_tokens.make_token_at(invited, now - dt.timedelta(days=6, hours=23))
    stale = invitation_tokens.make_token_at(invited, now - dt.timedelta(days=7, hours=1))
    assert invitation_tokens.check_token(invited, fresh)
    assert not invitation_tokens.check_token(invited, stale)
    assert "plus valable" in client.get(invitation_path(invited, stale)).content.decode()
    settings.FJJ_INVITATION_DAYS = 2
    assert not invitation_tokens.check_token(invited, fresh)
    assert invitation_tokens.check_token(
        invited, invitation_tokens.make_token_at(invited, now - dt.timedelta(days=1))
    )
    assert invitation_tokens.check_token(invited, fresh, max_age=8 * 24 * 3600)


def test_invitation_token_is_not_a_password_reset_token(client, invited):
    from django.contrib.auth.tokens import default_token_generator

    uid = urlsafe_base64_encode(force_bytes(invited.pk))
    reset_token = default_token_generator.make_token(invited)
    assert not invitation_tokens.check_token(invited, reset_token)
    response = client.get(reverse("depot:invitation", kwargs={"uidb64": uid, "token": reset_token}))
    assert "plus valable" in response.content.decode()


def test_weak_password_is_refused_in_french(client, invited):
    response = accept(client, invitation_path(invited), password="123")
    html = response.content.decode()
    assert response.status_code == 200 and "Ce mot de passe est trop court" in html
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_send_invitation_command(invited, django_capture_on_commit_callbacks, capsys):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_invitation", "MAIRE@commune.fr")
    assert "Invitation envoyée à maire@commune.fr" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_password_reset_by_email(client, porteur, django_capture_on_commit_callbacks):
    page = client.get(reverse("depot:password-reset"))
    assert page.status_code == 200 and "Mot de passe oublié" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("depot:password-reset"), {"email": porteur.email})
    assert response["Location"] == reverse("depot:password-reset-done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [porteur.email]
    path = re.search(r"https?://[^/]+(/depot/compte/reinitialiser/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(path)["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("depot:password-reset-complete")
    porteur.refresh_from_db()
    assert porteur.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="password_reset", object_id=str(porteur.pk)).count() == 1
    assert "plus valable" in client.get(path).content.decode()  # one-time


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("depot:password-reset"), {"email": "inconnu@exemple.fr"})
    assert response["Location"] == reverse("depot:password-reset-done") and mail.outbox == []


def test_password_reset_bad_email_in_french(client):
    html = client.post(reverse("depot:password-reset"), {"email": "pas-une-adresse"}).content.decode()
    assert "Indiquez une adresse électronique valide" in html and 'value="pas-une-adresse"' in html
