"""``flush`` that knows the audit trail is append-only.

On a *test* database (flushed after every transactional test) the triggers are lifted for the
flush; elsewhere the audit tables are emptied only with ``--purger-audit`` (an administrator's
deliberate act), and without it the flush is refused.
"""

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import DEFAULT_DB_ALIAS, connections

from fonds.audit.protection import EVENT_TABLE, is_test_database, protection_lifted


class Command(DjangoFlushCommand):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--purger-audit",
            action="store_true",
            dest="purge_audit",
            help="vide aussi la piste d'audit (désactive ses déclencheurs le temps du vidage)",
        )

    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if options.get("purge_audit") or is_test_database(connection):
            with protection_lifted(connection):
                return super().handle(**options)
        if connection.vendor in ("postgresql", "sqlite") and self._audit_tables_exist(connection):
            raise CommandError(
                "La piste d'audit est en ajout seul : « flush » la viderait. "
                "Relancez avec --purger-audit si c'est vraiment voulu (base de développement)."
            )
        return super().handle(**options)

    @staticmethod
    def _audit_tables_exist(connection) -> bool:
        return EVENT_TABLE in connection.introspection.table_names()
