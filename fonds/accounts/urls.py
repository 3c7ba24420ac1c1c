from django.urls import path

from . import proconnect_views, views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/", views.two_factor, name="two-factor"),
    path("proconnect/", proconnect_views.start, name="proconnect-start"),
    path("proconnect/retour/", proconnect_views.callback, name="proconnect-callback"),
]
