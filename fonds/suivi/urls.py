from django.urls import path

from .views import acts, convention, home, report, timeline

app_name = "suivi"
urlpatterns = [
    path("<int:pk>/", home.dossier_home, name="dossier"),
    path("<int:pk>/corrections/", acts.corrections, name="corrections"),
    path("<int:pk>/retrait/", acts.withdraw, name="withdraw"),
    path("<int:pk>/renonciation/", acts.renounce, name="renounce"),
    path("<int:pk>/convention/", convention.convention, name="convention"),
    path("<int:pk>/convention/convention.pdf", convention.convention_pdf, name="convention-pdf"),
    path("<int:pk>/rapport/", report.report, name="report"),
    path("<int:pk>/rapport/deposer/", report.report_submit, name="report-submit"),
    path("<int:pk>/rapport/liste-participants.pdf", report.participant_list, name="participant-list"),
    path("<int:pk>/historique/", timeline.timeline, name="timeline"),
    path("<int:pk>/documents/<int:document_pk>/", convention.generated_document, name="generated-document"),
]
