from django.contrib import admin
from django.urls import include, path

from fonds.accounts.views import admin_login

urlpatterns = [
    path("admin/login/", admin_login),  # the admin signs in through the site's sign-in (issue 14)
    path("admin/", admin.site.urls),
    path("api/v1/", include("fonds.api.urls")),
    path("compte/", include("fonds.accounts.urls")),
    path("administration/comptes/", include("fonds.depot.account_admin.urls")),
    path("depot/", include("fonds.depot.urls")),
    path("suivi/", include("fonds.suivi.urls")),
    path("messages/", include("fonds.conversation.urls")),
    path("instruction/", include("fonds.instruction.urls")),
    path("comite/", include("fonds.comite.urls")),
    path("avis/", include("fonds.avis.urls")),
    path("paiements/", include("fonds.payments.urls")),
    path("controle/", include("fonds.reporting.urls")),
    path("preuves/", include("fonds.proof.urls")),
    path("administration/", include("fonds.administration.urls")),
    path("notifications/", include("fonds.notifications.urls")),
    path("projets/", include("fonds.public.urls")),  # issue 22: public, no sign-in
    path("publication/", include("fonds.public.manage_urls")),
    path("", include("fonds.ops.urls")),
    path("", include("fonds.web.urls")),
]

# The site's own French DSFR error pages (fonds/web/errors.py), JSON under /api/.
handler400 = "fonds.web.errors.bad_request"
handler403 = "fonds.web.errors.permission_denied"
handler404 = "fonds.web.errors.page_not_found"
handler500 = "fonds.web.errors.server_error"
