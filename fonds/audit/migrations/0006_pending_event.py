"""Staging table of deferred sequencing (``docs/audit.md``), protected like the trail.

PostgreSQL: a pending event is never updated nor truncated away; it is deleted only by the sequencer,
which sets ``fjj.audit_sequencer`` for its transaction (``SET LOCAL``) — a guard against mistakes,
like those of migration 0004, not against an administrator (the daily verification is). The table
is a queue: autovacuum visits it often. SQLite (embedded, inline mode): updates are refused.
"""
import django.db.models.functions.datetime
from django.db import migrations, models

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_pending_check() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP = 'DELETE' AND coalesce(current_setting('fjj.audit_sequencer', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'Un événement d''audit en attente ne se modifie pas et ne se supprime qu''une fois chaîné : '
                || 'opération ' || TG_OP || ' refusée sur ' || TG_TABLE_NAME || '.';
    END
    $body$
    """,
    """
    CREATE TRIGGER audit_pendingevent_guard
        BEFORE UPDATE OR DELETE ON audit_pendingevent
        FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_check()
    """,
    "ALTER TABLE audit_pendingevent SET (autovacuum_vacuum_scale_factor = 0, "
    "autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_cost_delay = 0)",
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_pendingevent_guard ON audit_pendingevent",
    "DROP FUNCTION IF EXISTS audit_pending_check()",
]
SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_pendingevent_no_update BEFORE UPDATE ON audit_pendingevent
    BEGIN
        SELECT RAISE(ABORT, 'Un événement d''audit en attente ne se modifie pas.');
    END
    """,
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_pendingevent_no_update"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_drop_unused_like_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingEvent',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('staged_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), verbose_name='mis en attente')),
                ('created_at', models.DateTimeField(verbose_name='horodatage (UTC)')),
                ('actor_id', models.BigIntegerField(blank=True, null=True, verbose_name='acteur (id)')),
                ('actor_role', models.CharField(blank=True, max_length=20, verbose_name='rôle')),
                ('action', models.CharField(max_length=60, verbose_name='action')),
                ('object_type', models.CharField(blank=True, max_length=40, verbose_name="type d'objet")),
                ('object_id', models.CharField(blank=True, max_length=40, verbose_name='objet')),
                ('body', models.TextField(verbose_name='contenu canonique sans numéro')),
                ('digest', models.CharField(max_length=64, verbose_name='empreinte du contenu')),
            ],
            options={
                'verbose_name': "événement d'audit en attente de chaînage",
                'verbose_name_plural': "événements d'audit en attente de chaînage",
                'ordering': ['id'],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": PG_INSTALL, "sqlite": SQLITE_INSTALL}),
            _run({"postgresql": PG_REMOVE, "sqlite": SQLITE_REMOVE}),
        ),
    ]
