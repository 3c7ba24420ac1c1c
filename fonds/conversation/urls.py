"""The conversation's pages, mounted at /messages/ (namespace "conversation")."""

from django.urls import path

from . import views

app_name = "conversation"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("dossiers/<int:pk>/", views.thread, name="thread"),
    path("dossiers/<int:pk>/pieces-jointes/<int:attachment_pk>/", views.attachment, name="attachment"),
]
