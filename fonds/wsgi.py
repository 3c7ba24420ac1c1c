import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
application = get_wsgi_application()

from fonds.ops.memory import freeze_startup  # noqa: E402 — needs the apps loaded just above

freeze_startup()
