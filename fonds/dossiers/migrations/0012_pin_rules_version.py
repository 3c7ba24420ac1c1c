from django.db import migrations
from django.db.models import OuterRef, Subquery


def pin_filed_dossiers(apps, schema_editor):
    """A filed dossier (not a draft) records the rule version it follows (``Dossier.rules``): until
    now none did and all followed the campaign's latest version, which they keep."""
    Dossier = apps.get_model("dossiers", "Dossier")
    RuleSet = apps.get_model("referentiel", "RuleSet")
    latest = RuleSet.objects.filter(campaign=OuterRef("campaign")).order_by("-version").values("version")[:1]
    Dossier.objects.filter(rules_version__isnull=True).exclude(status="draft").update(
        rules_version=Subquery(latest)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0011_message_conversation"),
        ("referentiel", "0003_clock_defaults"),
    ]

    operations = [migrations.RunPython(pin_filed_dossiers, migrations.RunPython.noop)]
