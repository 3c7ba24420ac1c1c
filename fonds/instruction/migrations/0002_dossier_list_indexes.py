"""Indexes on the dossier table for the instructors' list sorts and filters.

They belong to ``dossiers.Dossier.Meta.indexes``; they live here (plain SQL, not in the model
state) because the instruction list is their only user so far. When the dossiers app adopts them,
replace this migration's effect by a ``RunSQL`` dropping these names. SQLite and PostgreSQL
both accept ``CREATE INDEX IF NOT EXISTS``.
"""
from django.db import migrations

INDEXES = {
    "instr_dossier_submitted": "(submitted_at, id)",
    "instr_dossier_status_submitted": "(status, submitted_at, id)",
    "instr_dossier_requested": "(requested_amount, id)",
    "instr_dossier_corrections_due": "(corrections_due, id)",
    "instr_dossier_instructor_status": "(instructor_id, status)",
}

TABLE = "dossiers_dossier"


class Migration(migrations.Migration):
    dependencies = [("instruction", "0001_initial"), ("dossiers", "0002_correctionrequest_message")]

    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {columns}", f"DROP INDEX IF EXISTS {name}")
        for name, columns in INDEXES.items()
    ]
