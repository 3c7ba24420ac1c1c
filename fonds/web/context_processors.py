from time import monotonic

from django.db.models import Case, IntegerField, When
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from dsfr.models import DsfrConfig

from fonds.accounts.roles import roles_of

#: seconds a process keeps the DSFR site configuration (the header's and footer's texts, edited in
#: the admin a few times a year) instead of one query on every page: the process that saves or
#: deletes one forgets its copies at once (``forget_site_config``), the other processes (gunicorn
#: workers, hosts) show the change within this delay
SITE_CONFIG_SECONDS = 60
#: language → (monotonic time of expiry, configuration or None)
_site_configs: dict[str, tuple[float, DsfrConfig | None]] = {}


def navigation(request):
    return {"user_roles": roles_of(getattr(request, "user", None))}


def site_config(request):
    """``dsfr.context_processors.site_config`` in one query instead of two, and that query once a
    minute per process and language (``SITE_CONFIG_SECONDS``): the DSFR site configuration of the
    current language, else the first one (both by primary key)."""
    language = get_language()
    expiry, config = _site_configs.get(language, (0.0, None))
    if expiry <= monotonic():
        first_of_language = Case(When(language=language, then=0), default=1, output_field=IntegerField())
        config = DsfrConfig.objects.order_by(first_of_language, "pk").first()
        _site_configs[language] = (monotonic() + SITE_CONFIG_SECONDS, config)
    return {"SITE_CONFIG": config}


def forget_site_config(**kwargs):
    _site_configs.clear()


post_save.connect(forget_site_config, sender=DsfrConfig, dispatch_uid="fjj-forget-site-config")
post_delete.connect(forget_site_config, sender=DsfrConfig, dispatch_uid="fjj-forget-site-config-delete")
