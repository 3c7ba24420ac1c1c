# Python defaults now read fonds.clock: state only, nothing changes in the database
# (SQLite would otherwise rebuild the tables, and their triggers with them).

import fonds.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0008_ordering_by_fk_column'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='correctionrequest',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='document',
                name='uploaded_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='dossier',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='créé le'),
            ),
            migrations.AlterField(
                model_name='message',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
        ]),
    ]
