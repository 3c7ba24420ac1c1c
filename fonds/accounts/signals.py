"""Every login failure is an audit event (web and API)."""
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver

from fonds.audit import chain as audit


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    identifier = str(credentials.get("email") or credentials.get("username") or "")[:254]
    ip = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    with transaction.atomic():
        audit.append("login_failed", actor=None, role="", obj=("accounts.login", identifier[:40]), payload={"identifier": identifier, "ip": ip})
