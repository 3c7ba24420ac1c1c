from django.urls import path

from fonds.bulk.urls import urlpatterns as bulk_urlpatterns
from fonds.links import under

from .views import conflicts, dossier, labels, lists, transitions

app_name = "instruction"
urlpatterns = [
    path("", lists.queues, name="queues"),
    path("dossiers/", lists.dossier_list, name="list"),
    path("filtres/", lists.save_filter, name="save-filter"),
    path("filtres/<int:pk>/supprimer/", lists.delete_filter, name="delete-filter"),
    path("liens/", conflicts.conflicts, name="conflicts"),
    path("etiquettes/", labels.label_list, name="labels"),
    under(
        "dossiers/<int:pk>/",
        path("", dossier.dossier_page, name="dossier"),
        path("etiquettes/", labels.dossier_labels, name="dossier-labels"),
        path("grille/", dossier.record_scores, name="scores"),
        path("montant/", dossier.propose_amount, name="amount"),
        path("notes/", dossier.add_note, name="note"),
        path("messages/", dossier.send_message, name="message"),
        path("eligibilite/", dossier.recheck, name="recheck"),
        path("eligibilite/<int:verdict_pk>/derogation/", dossier.override, name="override"),
        path("corrections/", transitions.request_corrections, name="corrections"),
        path("terminer/", transitions.complete, name="complete"),
        path("actions/<slug:name>/", transitions.action, name="action"),
        path("pieces/<int:document_pk>/apercu/", dossier.document_inline, name="document-inline"),
    ),
    *bulk_urlpatterns,
]
