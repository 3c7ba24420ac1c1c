from django.urls import path

from fonds.accounts.proconnect_views import SignOutView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", SignOutView.as_view(), name="logout"),
    path("dossiers/", views.dossier_list, name="dossier-list"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier-detail"),
    path("dossiers/<int:pk>/actions/<slug:name>/", views.dossier_transition, name="dossier-transition"),
    path("dossiers/<int:pk>/pieces/<int:document_pk>/", views.dossier_document, name="dossier-document"),
    path("taches/", views.task_list, name="task-list"),
    path("accessibilite/", views.accessibility_statement, name="accessibility"),
]
