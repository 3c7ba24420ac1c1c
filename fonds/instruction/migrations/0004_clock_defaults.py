# Python defaults now read fonds.clock: state only, nothing changes in the database
# (SQLite would otherwise rebuild the tables, and their triggers with them).

import fonds.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('instruction', '0003_ordering_by_fk_column'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='amountproposal',
                name='at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='le'),
            ),
            migrations.AlterField(
                model_name='eligibilityoverride',
                name='at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='le'),
            ),
            migrations.AlterField(
                model_name='instructorconflict',
                name='declared_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='déclaré le'),
            ),
            migrations.AlterField(
                model_name='privatenote',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='savedfilter',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='score',
                name='at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='le'),
            ),
        ]),
    ]
