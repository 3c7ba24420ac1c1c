from django.urls import path

from fonds.links import under

from .views import acts, convention, home, report, timeline

app_name = "suivi"
urlpatterns = [
    under(
        "<int:pk>/",
        path("", home.dossier_home, name="dossier"),
        path("corrections/", acts.corrections, name="corrections"),
        path("retrait/", acts.withdraw, name="withdraw"),
        path("renonciation/", acts.renounce, name="renounce"),
        path("convention/", convention.convention, name="convention"),
        path("convention/convention.pdf", convention.convention_pdf, name="convention-pdf"),
        path("rapport/", report.report, name="report"),
        path("rapport/deposer/", report.report_submit, name="report-submit"),
        path("rapport/liste-participants.pdf", report.participant_list, name="participant-list"),
        path("historique/", timeline.timeline, name="timeline"),
        path("documents/<int:document_pk>/", convention.generated_document, name="generated-document"),
    ),
]
