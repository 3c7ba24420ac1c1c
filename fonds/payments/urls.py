"""Routes of the payment pages (/paiements/): finance back office, then the porteur's pages."""
from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.orders, name="orders"),
    path("ordres/<int:pk>/", views.order_page, name="order"),
    path("ordres/<int:pk>/actions/<slug:name>/", views.order_action, name="order-action"),
    path("lots/", views.batches, name="batches"),
    path("lots/constituer/", views.build_batch_page, name="build-batch"),
    path("lots/<int:pk>/", views.batch_page, name="batch"),
    path("lots/<int:pk>/fichier.xml", views.batch_file, name="batch-file"),
    path("lots/<int:pk>/rejet/", views.batch_return, name="batch-return"),
    path("lots/<int:pk>/<slug:name>/", views.batch_action, name="batch-action"),
    path("coordonnees-bancaires/", views.bank_list, name="bank-list"),
    path("coordonnees-bancaires/<str:code>/", views.bank_page, name="bank"),
    path("coordonnees-bancaires/<str:code>/rib/", views.bank_rib, name="bank-rib"),
    path("coordonnees-bancaires/<str:code>/rejeter/", views.bank_reject, name="bank-reject"),
    path("rapports-finals/", views.reports, name="reports"),
    path("rapports-finals/<int:pk>/", views.report_accept, name="report"),
    path("rapports-finals/<int:pk>/reemettre-solde/", views.balance_reissue, name="balance-reissue"),
    # the porteur's pages (front office)
    path("commune/coordonnees-bancaires/", views.porteur_bank, name="commune-bank"),
    path("dossier/<int:pk>/coordonnees-bancaires/", views.porteur_bank, name="porteur-bank"),
    path("dossier/<int:pk>/reversement/", views.porteur_recovery, name="porteur-recovery"),
]
