"""The avis pages, mounted at /avis/ (namespace "avis")."""

from django.urls import path

from . import views

app_name = "avis"
urlpatterns = [
    path("", views.my_requests, name="requests"),
    path("demandes/<int:pk>/", views.request_page, name="request"),
    path("demandes/<int:pk>/pieces/<int:document_pk>/", views.expert_document, name="document"),
    path("demandes/<int:pk>/piece-jointe/", views.attachment, name="attachment"),
    path("demandes/<int:pk>/annuler/", views.cancel, name="cancel"),
    path("dossiers/<int:pk>/demander/", views.ask, name="ask"),
    path("selection/", views.ask_selection, name="ask-selection"),
]
