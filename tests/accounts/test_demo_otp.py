"""Demo agents get a known TOTP device so the demo runs without a phone; nobody else does."""

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_demo_otp_code_prints_a_code_the_device_accepts(capsys):
    user = make_user("instructeur", email="instructeur@demo.fjj.fr")
    call_command("demo_otp_code", "instructeur@demo.fjj.fr")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and TOTPDevice.objects.get(user=user).verify_token(code)


def test_demo_otp_code_refuses_a_real_account():
    make_user("finance", email="agent@jumelages.gouv.fr")
    with pytest.raises(CommandError, match="démonstration"):
        call_command("demo_otp_code", "agent@jumelages.gouv.fr")
    assert not TOTPDevice.objects.exists()
