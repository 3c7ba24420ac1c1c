"""PostgreSQL only: indexes in the order of the list's descending sorts.

The list sorts "most recent submission first" (its default) and "highest amount first" as
``DESC NULLS LAST`` (drafts and dossiers without an amount at the end). A PostgreSQL b-tree read
backwards gives ``DESC NULLS FIRST``, so the ascending indexes of 0003 cannot serve these sorts
and the first page sorted all 100,000 rows; these can. SQLite's ``DESC`` already puts NULLs last
(it reads 0003's indexes backwards) and its ``CREATE INDEX`` has no ``NULLS LAST``: nothing there.
"""
from django.db import migrations

INDEXES = {
    "dossier_list_submitted_desc": "(submitted_at DESC NULLS LAST, id DESC)",
    "dossier_list_status_submitted_desc": "(status, submitted_at DESC NULLS LAST, id DESC)",
    "dossier_list_amount_desc": "(requested_amount DESC NULLS LAST, id DESC)",
    "dossier_list_status_amount_desc": "(status, requested_amount DESC NULLS LAST, id DESC)",
}


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON dossiers_dossier {columns}")


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [("dossiers", "0004_correctionrequest_reminder_sent_at")]

    operations = [migrations.RunPython(_create, _drop)]
