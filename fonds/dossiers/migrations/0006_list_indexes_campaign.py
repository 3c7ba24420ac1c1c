"""The list's "sort key first" indexes get the status and the campaign behind the sort key: with a
campaign filter (an instructor works on one call) PostgreSQL reads the page in index order from the
index alone instead of sorting the campaign's ~31,700 rows (page 500, one campaign, highest amount
first: 120 → 20 ms inside the database at load 10). Same for 0005's PostgreSQL-only indexes.
"""

from django.conf import settings
from django.db import migrations, models

#: 0005's PostgreSQL-only indexes, re-created with status and campaign behind the sort key
PG_DESC = {
    "dossier_list_submitted_desc": ("(submitted_at DESC NULLS LAST, id DESC)", "(submitted_at DESC NULLS LAST, id DESC, status, campaign_id)"),
    "dossier_list_amount_desc": ("(requested_amount DESC NULLS LAST, id DESC)", "(requested_amount DESC NULLS LAST, id DESC, status, campaign_id)"),
}


def _pg(new: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, (old_columns, new_columns) in PG_DESC.items():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.execute(f"CREATE INDEX {name} ON dossiers_dossier {new_columns if new else old_columns}")

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0005_list_desc_indexes_postgresql'),
        ('referentiel', '0002_commune_is_current'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_list_submitted',
        ),
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_list_amount',
        ),
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_list_commune',
        ),
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_list_population',
        ),
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_list_created',
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['submitted_at', 'id', 'status', 'campaign'], name='dossier_list_submitted'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['requested_amount', 'id', 'status', 'campaign'], name='dossier_list_amount'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['commune_name', 'id', 'status', 'campaign'], name='dossier_list_commune'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['commune_population', 'id', 'status', 'campaign'], name='dossier_list_population'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['created_at', 'id', 'status', 'campaign'], name='dossier_list_created'),
        ),
        migrations.RunPython(_pg(new=True), _pg(new=False)),
    ]
