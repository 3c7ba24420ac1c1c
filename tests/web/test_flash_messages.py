"""Flash messages are escaped (issue 14): django-dsfr marks every message safe unless
``DSFR_CONTENT_IS_SAFE`` is off, and a saved filter's name reached the page as markup. A message
carrying HTML on purpose says so with ``format_html`` (a safe string) and keeps its markup."""

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template import Context, Template
from django.urls import reverse
from django.utils.html import format_html

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAYLOAD = '<img src=x onerror="alert(1)">'


def test_flash_messages_are_escaped(client):
    client.force_login(make_user("instructeur"))
    response = client.post(
        reverse("instruction:save-filter"), {"name": PAYLOAD, "querystring": ""}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert PAYLOAD not in html


def test_flash_message_built_with_format_html_keeps_its_markup():
    message = format_html('Voir <a href="{}">le dossier {}</a>.', "/dossiers/1/", "<b>")
    html = Template("{% load dsfr_tags %}{% dsfr_django_messages %}").render(
        Context({"messages": [Message(constants.SUCCESS, message)]})
    )
    assert '<a href="/dossiers/1/">le dossier &lt;b&gt;</a>' in html
