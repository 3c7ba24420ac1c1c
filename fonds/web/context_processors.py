from django.db.models import Case, IntegerField, When
from django.utils.translation import get_language
from dsfr.models import DsfrConfig

from fonds.accounts.roles import roles_of


def navigation(request):
    return {"user_roles": roles_of(getattr(request, "user", None))}


def site_config(request):
    """``dsfr.context_processors.site_config`` in one query instead of two (on every page): the
    DSFR site configuration of the current language, else the first one (both by primary key)."""
    first_of_language = Case(When(language=get_language(), then=0), default=1, output_field=IntegerField())
    return {"SITE_CONFIG": DsfrConfig.objects.order_by(first_of_language, "pk").first()}
