"""The instructors' search: ``search_text``, the dossier's reference, title, commune name and code
folded (case, accents; fonds/dossiers/search.py), a column the database computes (a stored
generated column: existing rows are filled by the ``ADD COLUMN`` itself, later writes whatever
their path). PostgreSQL only: the ``pg_trgm`` extension and a GIN trigram index, which serves
``LIKE '%…%'`` for words of three characters or more; SQLite reads the column without an index.

SQLite rebuilds the table to add a stored generated column, and refuses to while a trigger of
another table (the commune copy's, fonds/dossiers/commune_copy.py) names it: the copy's triggers
are taken off around the rebuild and put back after it.
"""

import fonds.dossiers.search
from django.db import migrations, models


def _triggers_off(apps, schema_editor):
    from fonds.dossiers import commune_copy

    if schema_editor.connection.vendor == "sqlite":
        commune_copy.remove(schema_editor.connection)


def _triggers_on(apps, schema_editor):
    from fonds.dossiers import commune_copy

    if schema_editor.connection.vendor == "sqlite":
        commune_copy.install(schema_editor.connection)
        commune_copy.resync(schema_editor.connection)


def _create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS dossier_search_trgm ON dossiers_dossier USING gin (search_text gin_trgm_ops)"
    )


def _drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS dossier_search_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0012_pin_rules_version'),
    ]

    operations = [
        migrations.RunPython(_triggers_off, _triggers_on),
        migrations.AddField(
            model_name='dossier',
            name='search_text',
            field=models.GeneratedField(db_persist=True, expression=fonds.dossiers.search.SearchFold('reference', 'title', 'commune_name', 'commune_id'), output_field=models.TextField(), verbose_name='texte de recherche'),
        ),
        migrations.RunPython(_triggers_on, _triggers_off),
        migrations.RunPython(_create_index, _drop_index),
    ]
