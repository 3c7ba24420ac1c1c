"""An index for the decision export's stage dates (issue 19), PostgreSQL only.

The export reads the latest date of each stage transition of 2,000 dossiers at a time from the
audit trail. Through ``audit_object_idx`` that visited every event of each dossier in the heap
(~60 per dossier on the realistic data set: 3.7 s a chunk). This partial, covering index holds
only the stage transitions of dossiers (about one event in five, so other appends do not write
it) with their date: an index-only scan, 0.08–0.14 s a chunk (docs/benchmarks.md, issue 19).
Its predicate lists ``fonds.reporting.decisions._STAGE_ACTIONS`` (a test keeps them equal).
Built CONCURRENTLY: the audit table is not locked against appends while it builds.
"""

from django.db import migrations

NAME = "reporting_audit_stage_dates"
STAGE_ACTIONS = [
    "accept_agreement",
    "approve",
    "complete_instruction",
    "declare_ineligible",
    "expire_corrections",
    "lapse",
    "pay_advance",
    "promote",
    "recover",
    "reject",
    "request_corrections",
    "schedule",
    "settle",
    "start_instruction",
    "submit",
    "submit_report",
    "waitlist",
    "withdraw",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    actions = ", ".join(f"'{action}'" for action in STAGE_ACTIONS)
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON audit_auditevent (object_id, action) "
        f"INCLUDE (created_at) WHERE object_type = 'dossiers.dossier' AND action IN ({actions})"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reporting", "0002_clock_defaults"),
        ("audit", "0005_drop_unused_like_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
