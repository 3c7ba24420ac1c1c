from django.urls import path

from . import agenda_views, composition_views, views

app_name = "comite"

urlpatterns = [
    path("", views.session_list, name="sessions"),
    path("enveloppes/", views.envelope_list, name="envelopes"),
    path("composition/", composition_views.composition_index, name="compositions"),
    path("composition/<int:campaign_pk>/", composition_views.composition_page, name="composition"),
    path(
        "composition/<int:campaign_pk>/retirer/<int:member_pk>/",
        composition_views.composition_remove,
        name="composition-remove",
    ),
    path("dossiers/<int:pk>/inscrire/", agenda_views.schedule, name="schedule"),
    path("seances/nouvelle/", views.session_create, name="session-create"),
    path("seances/<int:pk>/", views.session_detail, name="session"),
    path("seances/<int:pk>/ordre-du-jour/", views.agenda, name="agenda"),
    path("seances/<int:pk>/convocation/", views.convocation, name="convocation"),
    path("seances/<int:pk>/date/", views.reschedule, name="reschedule"),
    path("seances/<int:pk>/suppleant/", views.deputy_chair, name="deputy-chair"),
    path("seances/<int:pk>/procuration/", views.proxy, name="proxy"),
    path("seances/<int:pk>/procuration/retirer/", views.proxy_revoke, name="proxy-revoke"),
    path("seances/<int:pk>/seance/", views.sitting, name="sitting"),
    path("seances/<int:pk>/seance/ouvrir/", views.open_sitting, name="open-sitting"),
    path("seances/<int:pk>/seance/emargement/", views.attendance, name="attendance"),
    path("seances/<int:pk>/seance/ajourner/", views.adjourn, name="adjourn"),
    path("seances/<int:pk>/seance/clore/", views.close, name="close"),
    path("seances/<int:pk>/proces-verbal.pdf", views.minutes, name="minutes"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/", views.item_detail, name="item"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/conflit/", views.conflict, name="conflict"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/vote/", views.vote, name="vote"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/ouvrir-le-vote/", views.open_vote, name="open-vote"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/clore-le-vote/", views.close_vote, name="close-vote"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/decision/", views.decide, name="decide"),
]
