from decimal import Decimal

import pytest

from fonds.dossiers.models import Dossier
from fonds.ui.selection import filter_by_fields
from tests.factories import make_campaign, make_dossier


@pytest.mark.django_db
def test_filter_by_fields_skips_empty_choices_and_keeps_zero_bounds():
    campaign = make_campaign()
    small = make_dossier(campaign=campaign, requested_amount=Decimal("0"))
    large = make_dossier(campaign=campaign, requested_amount=Decimal("5000"))
    qs = Dossier.objects.all()

    def pks(data):
        return set(
            filter_by_fields(
                qs,
                data,
                filled={"campaign": "campaign_id"},
                bounds={"amount_max": "requested_amount__lte"},
            ).values_list("pk", flat=True)
        )

    assert pks({"campaign": "", "amount_max": None}) == {small.pk, large.pk}
    assert pks({"campaign": campaign.pk, "amount_max": Decimal("0")}) == {small.pk}
    assert pks({"campaign": campaign.pk + 1}) == set()
