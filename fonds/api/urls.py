from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from . import avis, views

router = SimpleRouter()
router.register("dossiers", views.DossierViewSet, basename="dossier")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("communes", views.CommuneViewSet, basename="commune")
router.register("avis", avis.ExpertAvisViewSet, basename="avis")  # issue 20: the expert's own requests

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("payments/", include("fonds.payments.api")),  # issue 6: finance endpoints
    path("public/", include("fonds.public.api")),  # issue 22: open data, no token
    path(
        "dashboard/", include("fonds.reporting.dashboard_api")
    ),  # issue 7: dashboard figures (auditors, admins)
    path(
        "", include("fonds.reporting.api_urls")
    ),  # issue 7: decisions, exports, audit trail (auditors, admins)
    *router.urls,
]
