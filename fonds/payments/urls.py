"""Routes of the payment pages (/paiements/): finance back office, then the porteur's pages."""

from django.urls import path

from fonds.links import under

from .views import bank, batches, orders, porteur, reports

app_name = "payments"

urlpatterns = [
    path("", orders.orders, name="orders"),
    path("ordres/<int:pk>/", orders.order_page, name="order"),
    path("ordres/<int:pk>/actions/<slug:name>/", orders.order_action, name="order-action"),
    under(
        "lots/",
        path("", batches.batches, name="batches"),
        path("constituer/", batches.build_batch_page, name="build-batch"),
        path("<int:pk>/", batches.batch_page, name="batch"),
        path("<int:pk>/fichier.xml", batches.batch_file, name="batch-file"),
        path("<int:pk>/rejet/", batches.batch_return, name="batch-return"),
        path("<int:pk>/<slug:name>/", batches.batch_action, name="batch-action"),
    ),
    under(
        "coordonnees-bancaires/",
        path("", bank.bank_list, name="bank-list"),
        path("<str:code>/", bank.bank_page, name="bank"),
        path("<str:code>/rib/", bank.bank_rib, name="bank-rib"),
        path("<str:code>/rejeter/", bank.bank_reject, name="bank-reject"),
    ),
    under(
        "rapports-finals/",
        path("", reports.reports, name="reports"),
        path("<int:pk>/", reports.report_accept, name="report"),
        path("<int:pk>/reemettre-solde/", reports.balance_reissue, name="balance-reissue"),
    ),
    # the porteur's pages (front office)
    path("commune/coordonnees-bancaires/", porteur.porteur_bank, name="commune-bank"),
    path("dossier/<int:pk>/coordonnees-bancaires/", porteur.porteur_bank, name="porteur-bank"),
    path("dossier/<int:pk>/reversement/", porteur.porteur_recovery, name="porteur-recovery"),
]
