"""PostgreSQL: drop the ``varchar_pattern_ops`` twins of the ``status``, ``reference`` and
``commune`` (INSEE code) indexes. Nothing filters these columns with a case-sensitive
``LIKE 'prefix%'`` (the free-text search is case-insensitive: ``UPPER(…) LIKE``, which they cannot
serve), and every status change of a dossier paid for them. See ``fonds.ops.indexes``."""
from django.db import migrations

from fonds.ops.indexes import drop_like_indexes


def forwards(apps, schema_editor):
    drop_like_indexes(schema_editor, "dossiers_dossier", ["status", "reference", "commune_id"])


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0006_list_indexes_campaign")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
