"""The instructors' list at 100,000 dossiers.

* ``commune_name`` / ``commune_population``: copies of the commune's (sort keys of the list), filled
  here and then kept equal to the commune's by database triggers (fonds/dossiers/commune_copy.py).
* The list's indexes move into ``Dossier.Meta`` (sort key, id, status: a page of pks is read from
  the index alone). The five raw-SQL indexes of ``instruction.0002`` are dropped and re-created
  here under model names: on SQLite a table rebuild (this migration's ``AddField``) loses indexes
  that the model state does not know.
"""

from django.conf import settings
from django.db import migrations, models

#: raw-SQL indexes of instruction.0002, replaced by Meta indexes below (same columns)
INSTRUCTION_0002 = {
    "instr_dossier_submitted": "(submitted_at, id)",
    "instr_dossier_status_submitted": "(status, submitted_at, id)",
    "instr_dossier_requested": "(requested_amount, id)",
    "instr_dossier_corrections_due": "(corrections_due, id)",
    "instr_dossier_instructor_status": "(instructor_id, status)",
}


def _install(apps, schema_editor):
    from fonds.dossiers import commune_copy

    commune_copy.install(schema_editor.connection)
    commune_copy.resync(schema_editor.connection)


def _remove(apps, schema_editor):
    from fonds.dossiers import commune_copy

    commune_copy.remove(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0002_correctionrequest_message'),
        ('instruction', '0002_dossier_list_indexes'),
        ('referentiel', '0002_commune_is_current'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            [f"DROP INDEX IF EXISTS {name}" for name in INSTRUCTION_0002],
            [f"CREATE INDEX IF NOT EXISTS {name} ON dossiers_dossier {columns}" for name, columns in INSTRUCTION_0002.items()],
        ),
        migrations.AddField(
            model_name='dossier',
            name='commune_name',
            field=models.CharField(blank=True, default='', editable=False, max_length=120, verbose_name='nom de la commune (copie)'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='commune_population',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name='population de la commune (copie)'),
        ),
        migrations.RunPython(_install, _remove),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['submitted_at', 'id'], name='dossier_list_submitted'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'submitted_at', 'id'], name='dossier_list_status_submitted'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['requested_amount', 'id'], name='dossier_list_amount'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['corrections_due', 'id'], name='dossier_list_corrections_due'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['instructor', 'status'], name='dossier_list_instructor'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['commune_name', 'id', 'status'], name='dossier_list_commune'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'commune_name', 'id'], name='dossier_list_status_commune'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['commune_population', 'id', 'status'], name='dossier_list_population'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'commune_population', 'id'], name='dossier_list_status_population'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['created_at', 'id', 'status'], name='dossier_list_created'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'requested_amount', 'id'], name='dossier_list_status_amount'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'corrections_due', 'id'], name='dossier_list_status_deadline'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'created_at', 'id'], name='dossier_list_status_created'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['status', 'reference'], name='dossier_list_status_reference'),
        ),
    ]
