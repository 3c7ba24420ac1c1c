"""Routes of the payment pages (/paiements/): finance back office, then the porteur's pages."""

from django.urls import path

from .views import bank, batches, orders, porteur, reports

app_name = "payments"

urlpatterns = [
    path("", orders.orders, name="orders"),
    path("ordres/<int:pk>/", orders.order_page, name="order"),
    path("ordres/<int:pk>/actions/<slug:name>/", orders.order_action, name="order-action"),
    path("lots/", batches.batches, name="batches"),
    path("lots/constituer/", batches.build_batch_page, name="build-batch"),
    path("lots/<int:pk>/", batches.batch_page, name="batch"),
    path("lots/<int:pk>/fichier.xml", batches.batch_file, name="batch-file"),
    path("lots/<int:pk>/rejet/", batches.batch_return, name="batch-return"),
    path("lots/<int:pk>/<slug:name>/", batches.batch_action, name="batch-action"),
    path("coordonnees-bancaires/", bank.bank_list, name="bank-list"),
    path("coordonnees-bancaires/<str:code>/", bank.bank_page, name="bank"),
    path("coordonnees-bancaires/<str:code>/rib/", bank.bank_rib, name="bank-rib"),
    path("coordonnees-bancaires/<str:code>/rejeter/", bank.bank_reject, name="bank-reject"),
    path("rapports-finals/", reports.reports, name="reports"),
    path("rapports-finals/<int:pk>/", reports.report_accept, name="report"),
    path("rapports-finals/<int:pk>/reemettre-solde/", reports.balance_reissue, name="balance-reissue"),
    # the porteur's pages (front office)
    path("commune/coordonnees-bancaires/", porteur.porteur_bank, name="commune-bank"),
    path("dossier/<int:pk>/coordonnees-bancaires/", porteur.porteur_bank, name="porteur-bank"),
    path("dossier/<int:pk>/reversement/", porteur.porteur_recovery, name="porteur-recovery"),
]
