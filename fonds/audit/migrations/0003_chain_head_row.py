"""The chain head exists from the start: appends lock it, verification compares against it."""
from django.db import migrations

GENESIS_HASH = "0" * 64


def create_head(apps, schema_editor):
    ChainHead = apps.get_model("audit", "ChainHead")
    ChainHead.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1, defaults={"last_seq": 0, "last_hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_seq_positive"),
    ]

    operations = [
        # Reversing leaves the row: the 0004 triggers (if still there) refuse deleting it anyway.
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
