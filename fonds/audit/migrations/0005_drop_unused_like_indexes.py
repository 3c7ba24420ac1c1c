"""PostgreSQL: drop the ``varchar_pattern_ops`` twins Django adds beside the indexes of ``action``
(``db_index``) and ``hash`` (``unique``). They only serve case-sensitive ``LIKE 'prefix%'``, which
nothing runs on these columns, and each event appended paid for them (the hash one is as big as the
unique index itself: random 64-character keys). See ``fonds.ops.indexes``."""
from django.db import migrations

from fonds.ops.indexes import drop_like_indexes


def forwards(apps, schema_editor):
    drop_like_indexes(schema_editor, "audit_auditevent", ["action", "hash"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_append_only_triggers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
