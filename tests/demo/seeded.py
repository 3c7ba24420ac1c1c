"""The demo seeded once per test class (``setUpTestData``, on the small referential): its tests read
it, each in its own savepoint. Files go to a temporary folder, emails stay in memory."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from unittest import mock

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from fonds.demo import DEMO_CAMPAIGN_NAME
from fonds.referentiel.models import Campaign

from .referential import small_referential

PASSWORD = "mot-de-passe-de-demo-test"


class SeededDemo(TestCase):
    @classmethod
    def setUpClass(cls):
        cls._media = tempfile.mkdtemp(prefix="fjj-demo-test-")
        cls._overrides = override_settings(
            MEDIA_ROOT=cls._media,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        )
        cls._overrides.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._overrides.disable()
        shutil.rmtree(cls._media, ignore_errors=True)

    @classmethod
    def setUpTestData(cls):
        small_referential()
        cls.started = timezone.now()
        out = io.StringIO()
        with mock.patch.dict(os.environ, {"FJJ_DEMO_PASSWORD": PASSWORD}):
            call_command("seed_demo", stdout=out)
        cls.finished = timezone.now()
        cls.output = out.getvalue()
        cls.campaign = Campaign.objects.get(name=DEMO_CAMPAIGN_NAME)
        cls.past = Campaign.objects.exclude(pk=cls.campaign.pk).get()
