from django.urls import path

from .views import composition, members, schedule, sessions, sitting

app_name = "comite"

urlpatterns = [
    path("", sessions.session_list, name="sessions"),
    path("enveloppes/", sessions.envelope_list, name="envelopes"),
    path("composition/", composition.composition_index, name="compositions"),
    path("composition/<int:campaign_pk>/", composition.composition_page, name="composition"),
    path(
        "composition/<int:campaign_pk>/retirer/<int:member_pk>/",
        composition.composition_remove,
        name="composition-remove",
    ),
    path("dossiers/<int:pk>/inscrire/", schedule.schedule, name="schedule"),
    path("seances/nouvelle/", sessions.session_create, name="session-create"),
    path("seances/<int:pk>/", sessions.session_detail, name="session"),
    path("seances/<int:pk>/ordre-du-jour/", sessions.agenda, name="agenda"),
    path("seances/<int:pk>/convocation/", sessions.convocation, name="convocation"),
    path("seances/<int:pk>/date/", sessions.reschedule, name="reschedule"),
    path("seances/<int:pk>/suppleant/", sessions.deputy_chair, name="deputy-chair"),
    path("seances/<int:pk>/procuration/", members.proxy, name="proxy"),
    path("seances/<int:pk>/procuration/retirer/", members.proxy_revoke, name="proxy-revoke"),
    path("seances/<int:pk>/seance/", sitting.sitting, name="sitting"),
    path("seances/<int:pk>/seance/ouvrir/", sitting.open_sitting, name="open-sitting"),
    path("seances/<int:pk>/seance/emargement/", sitting.attendance, name="attendance"),
    path("seances/<int:pk>/seance/ajourner/", sitting.adjourn, name="adjourn"),
    path("seances/<int:pk>/seance/clore/", sitting.close, name="close"),
    path("seances/<int:pk>/proces-verbal.pdf", sitting.minutes, name="minutes"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/", members.item_detail, name="item"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/conflit/", members.conflict, name="conflict"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/vote/", members.vote, name="vote"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/ouvrir-le-vote/", sitting.open_vote, name="open-vote"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/clore-le-vote/", sitting.close_vote, name="close-vote"),
    path("seances/<int:pk>/dossiers/<int:item_pk>/decision/", sitting.decide, name="decide"),
]
