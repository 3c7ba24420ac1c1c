# Python defaults now read fonds.clock: state only, nothing changes in the database
# (SQLite would otherwise rebuild the tables, and their triggers with them).

import fonds.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('suivi', '0003_ordering_by_fk_column'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='deadlinenotice',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='le'),
            ),
            migrations.AlterField(
                model_name='finalreport',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='finalreport',
                name='updated_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='enregistré le'),
            ),
        ]),
    ]
