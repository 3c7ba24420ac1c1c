"""Append-only audit table, enforced by the database (defence in depth).

PostgreSQL: one statement-level trigger refuses UPDATE, DELETE and TRUNCATE on audit_auditevent;
the chain head may not be deleted or truncated, nor move backwards, nor point at an event that does
not exist. SQLite: the same with CREATE TRIGGER … RAISE(ABORT, …).

An owner or administrator of the database can still disable or drop these triggers: that is why the
chain is verified every day (see fonds.audit.protection). Keep in step with fonds/audit/protection.py.
"""
from django.db import migrations

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = 'La piste d''audit est en ajout seul : opération ' || TG_OP || ' refusée sur ' || TG_TABLE_NAME || '.',
            HINT = 'Un événement d''audit ne se modifie ni ne se supprime : consignez un nouvel événement.';
    END
    $body$
    """,
    """
    CREATE OR REPLACE FUNCTION audit_chainhead_check() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege',
                MESSAGE = 'La tête de chaîne d''audit ne se supprime pas.';
        END IF;
        IF NEW.id <> OLD.id OR NEW.last_seq < OLD.last_seq THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege',
                MESSAGE = 'La tête de chaîne d''audit ne peut qu''avancer.';
        END IF;
        IF NEW.last_seq > 0 AND NOT EXISTS (
            SELECT 1 FROM audit_auditevent WHERE seq = NEW.last_seq AND hash = NEW.last_hash
        ) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'insufficient_privilege',
                MESSAGE = 'La tête de chaîne d''audit doit désigner le dernier événement consigné.';
        END IF;
        RETURN NEW;
    END
    $body$
    """,
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    """
    CREATE TRIGGER audit_auditevent_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_auditevent
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
    "DROP TRIGGER IF EXISTS audit_chainhead_guard ON audit_chainhead",
    """
    CREATE TRIGGER audit_chainhead_guard
        BEFORE UPDATE OR DELETE ON audit_chainhead
        FOR EACH ROW EXECUTE FUNCTION audit_chainhead_check()
    """,
    "DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead",
    """
    CREATE TRIGGER audit_chainhead_no_truncate
        BEFORE TRUNCATE ON audit_chainhead
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_chainhead_guard ON audit_chainhead",
    "DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead",
    "DROP FUNCTION IF EXISTS audit_chainhead_check()",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'La piste d''audit est en ajout seul : modification refusée.');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'La piste d''audit est en ajout seul : suppression refusée.');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_chainhead_no_delete BEFORE DELETE ON audit_chainhead
    BEGIN
        SELECT RAISE(ABORT, 'La tête de chaîne d''audit ne se supprime pas.');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_chainhead_forward_only BEFORE UPDATE ON audit_chainhead
    WHEN NEW.id <> OLD.id OR NEW.last_seq < OLD.last_seq OR (
        NEW.last_seq > 0 AND NOT EXISTS (
            SELECT 1 FROM audit_auditevent WHERE seq = NEW.last_seq AND hash = NEW.last_hash
        )
    )
    BEGIN
        SELECT RAISE(ABORT, 'La tête de chaîne d''audit ne peut qu''avancer jusqu''au dernier événement consigné.');
    END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_chainhead_no_delete",
    "DROP TRIGGER IF EXISTS audit_chainhead_forward_only",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_chain_head_row"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_INSTALL, "sqlite": SQLITE_INSTALL}),
            _run({"postgresql": PG_REMOVE, "sqlite": SQLITE_REMOVE}),
        ),
    ]
