from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from .canonical import GENESIS_HASH


def ensure_chain_head(sender, using="default", apps=None, **kwargs):
    """Re-create the chain head after a ``flush`` (migration 0003 creates it on a new database).

    Only on an empty trail: a head missing while events exist is a finding for ``verify_audit``,
    not something to paper over.
    """
    connection = connections[using]
    try:
        ChainHead = (apps or sender.apps).get_model("audit", "ChainHead")
        AuditEvent = (apps or sender.apps).get_model("audit", "AuditEvent")
    except LookupError:
        return
    tables = set(connection.introspection.table_names())
    if ChainHead._meta.db_table not in tables or AuditEvent._meta.db_table not in tables:
        return
    if not AuditEvent.objects.using(using).exists():
        ChainHead.objects.using(using).get_or_create(
            pk=1, defaults={"last_seq": 0, "last_hash": GENESIS_HASH}
        )


class AuditConfig(AppConfig):
    name = "fonds.audit"
    label = "audit"
    verbose_name = "Piste d'audit"

    def ready(self):
        post_migrate.connect(ensure_chain_head, sender=self, dispatch_uid="fonds.audit.ensure_chain_head")
        from .admin import lock_admin_site  # noqa: PLC0415 — admin imports models: only once apps are ready

        lock_admin_site()  # the admin writes nothing the chain covers: read only for every user
