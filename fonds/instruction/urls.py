from django.urls import path

from fonds.bulk.urls import urlpatterns as bulk_urlpatterns

from . import views

app_name = "instruction"
urlpatterns = [
    path("", views.queues, name="queues"),
    path("dossiers/", views.dossier_list, name="list"),
    path("filtres/", views.save_filter, name="save-filter"),
    path("filtres/<int:pk>/supprimer/", views.delete_filter, name="delete-filter"),
    path("liens/", views.conflicts, name="conflicts"),
    path("dossiers/<int:pk>/", views.dossier_page, name="dossier"),
    path("dossiers/<int:pk>/grille/", views.record_scores, name="scores"),
    path("dossiers/<int:pk>/montant/", views.propose_amount, name="amount"),
    path("dossiers/<int:pk>/notes/", views.add_note, name="note"),
    path("dossiers/<int:pk>/messages/", views.send_message, name="message"),
    path("dossiers/<int:pk>/eligibilite/", views.recheck, name="recheck"),
    path("dossiers/<int:pk>/eligibilite/<int:verdict_pk>/derogation/", views.override, name="override"),
    path("dossiers/<int:pk>/corrections/", views.request_corrections, name="corrections"),
    path("dossiers/<int:pk>/terminer/", views.complete, name="complete"),
    path("dossiers/<int:pk>/actions/<slug:name>/", views.action, name="action"),
    path("dossiers/<int:pk>/pieces/<int:document_pk>/apercu/", views.document_inline, name="document-inline"),
    *bulk_urlpatterns,
]
