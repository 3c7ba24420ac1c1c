from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from . import commune_copy, search


class DossiersConfig(AppConfig):
    name = "fonds.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"

    def ready(self):
        # SQLite drops a table's triggers when a migration rebuilds it: put them back
        post_migrate.connect(commune_copy.post_migrate, sender=self, dispatch_uid="dossiers.commune_copy")
        # SQLite has no translate(): the search column's fold is a Python function there
        connection_created.connect(search.register_sqlite, dispatch_uid="dossiers.search_fold")
