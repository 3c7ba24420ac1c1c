from django.urls import path

from fonds.bulk.urls import urlpatterns as bulk_urlpatterns

from .views import conflicts, dossier, labels, lists, transitions

app_name = "instruction"
urlpatterns = [
    path("", lists.queues, name="queues"),
    path("dossiers/", lists.dossier_list, name="list"),
    path("filtres/", lists.save_filter, name="save-filter"),
    path("filtres/<int:pk>/supprimer/", lists.delete_filter, name="delete-filter"),
    path("liens/", conflicts.conflicts, name="conflicts"),
    path("etiquettes/", labels.label_list, name="labels"),
    path("dossiers/<int:pk>/etiquettes/", labels.dossier_labels, name="dossier-labels"),
    path("dossiers/<int:pk>/", dossier.dossier_page, name="dossier"),
    path("dossiers/<int:pk>/grille/", dossier.record_scores, name="scores"),
    path("dossiers/<int:pk>/montant/", dossier.propose_amount, name="amount"),
    path("dossiers/<int:pk>/notes/", dossier.add_note, name="note"),
    path("dossiers/<int:pk>/messages/", dossier.send_message, name="message"),
    path("dossiers/<int:pk>/eligibilite/", dossier.recheck, name="recheck"),
    path("dossiers/<int:pk>/eligibilite/<int:verdict_pk>/derogation/", dossier.override, name="override"),
    path("dossiers/<int:pk>/corrections/", transitions.request_corrections, name="corrections"),
    path("dossiers/<int:pk>/terminer/", transitions.complete, name="complete"),
    path("dossiers/<int:pk>/actions/<slug:name>/", transitions.action, name="action"),
    path(
        "dossiers/<int:pk>/pieces/<int:document_pk>/apercu/", dossier.document_inline, name="document-inline"
    ),
    *bulk_urlpatterns,
]
