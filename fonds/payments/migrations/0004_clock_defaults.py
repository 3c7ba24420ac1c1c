# Python defaults now read fonds.clock: state only, nothing changes in the database
# (SQLite would otherwise rebuild the tables, and their triggers with them).

import fonds.clock
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0003_bank_details_siret'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='bankdetails',
                name='updated_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='modifié le'),
            ),
            migrations.AlterField(
                model_name='batch',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='constitué le'),
            ),
            migrations.AlterField(
                model_name='paymentorder',
                name='created_at',
                field=models.DateTimeField(default=fonds.clock.now, verbose_name='créé le'),
            ),
            migrations.AlterField(
                model_name='settlement',
                name='accepted_at',
                field=models.DateTimeField(default=fonds.clock.now),
            ),
        ]),
    ]
