"""PostgreSQL only: a partial covering index for the envelope's committed sum.

``fonds.comite.envelope.committed`` sums ``approved_amount`` over a campaign's dossiers in the
statuses that hold money (``COMMITTED_STATUSES``). Every committee page shows what is left (the
session page, each agenda item, so each vote's redirect), and every approval computes it under the
campaign lock. Without this index PostgreSQL read the campaign's rows through the ``campaign_id``
index and dropped those in other statuses: ~5,000 heap rows read for ~800 kept, 1.2-1.4 ms of
execution per call with 100,000 dossiers (20,000 a campaign). With it: an index-only scan of the
~800 committed rows of the campaign, 0.1 ms.

Writes: the index holds only the rows in a committed status (~15 % of the table), so a status
change outside these statuses (submitted → in instruction → instructed → in committee, the bulk
actions) only evaluates its predicate; a change into or between them adds one entry to a small
index, next to the 28 the table already writes on every status change (status is indexed, so no
status change is a HOT update anyway).

The predicate must list exactly ``envelope.COMMITTED_STATUSES`` (a test checks it): a status
added there needs a new migration re-creating this index, or the sum falls back to the plain scan
(still correct, only slower). SQLite: nothing (no covering indexes; the test data is small).
"""
from django.db import migrations

NAME = "comite_envelope_committed"
#: envelope.COMMITTED_STATUSES, frozen for this migration
STATUSES = ("approved", "agreement_signed", "advance_paid", "report_submitted", "recovery_pending", "closed")


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON dossiers_dossier (campaign_id) INCLUDE (approved_amount) WHERE status IN ({statuses})"
    )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("comite", "0002_session_deputy_chair")]  # the dossier table exists since comite.0001's dependencies

    operations = [migrations.RunPython(_create, _drop, elidable=False)]
