"""Celery application: the embedded profile uses a SQLite-backed broker, production Redis/RabbitMQ."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")

app = Celery("fonds")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["workflows"])
