# Python defaults now read fonds.clock: state only, nothing changes in the database
# (SQLite would otherwise rebuild the tables, and their triggers with them).

import fonds.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('comite', '0004_ordering_by_fk_column'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='attendance',
                name='recorded_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='conflictdeclaration',
                name='declared_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='enveloperelease',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='promotionproposal',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='proxy',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='session',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
            migrations.AlterField(
                model_name='vote',
                name='cast_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
        ]),
    ]
