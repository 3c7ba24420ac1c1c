from django.urls import path

from . import views

app_name = "suivi"
urlpatterns = [
    path("<int:pk>/", views.dossier_home, name="dossier"),
    path("<int:pk>/corrections/", views.corrections, name="corrections"),
    path("<int:pk>/retrait/", views.withdraw, name="withdraw"),
    path("<int:pk>/renonciation/", views.renounce, name="renounce"),
    path("<int:pk>/convention/", views.convention, name="convention"),
    path("<int:pk>/convention/convention.pdf", views.convention_pdf, name="convention-pdf"),
    path("<int:pk>/rapport/", views.report, name="report"),
    path("<int:pk>/rapport/deposer/", views.report_submit, name="report-submit"),
    path("<int:pk>/rapport/liste-participants.pdf", views.participant_list, name="participant-list"),
    path("<int:pk>/historique/", views.timeline, name="timeline"),
    path("<int:pk>/documents/<int:document_pk>/", views.generated_document, name="generated-document"),
]
