import os

from django.core.wsgi import get_wsgi_application

from fonds.startup import freeze_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
application = get_wsgi_application()
freeze_startup()
