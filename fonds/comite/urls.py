from django.urls import path

from fonds.links import under

from .views import composition, members, schedule, sessions, sitting

app_name = "comite"

urlpatterns = [
    path("", sessions.session_list, name="sessions"),
    path("enveloppes/", sessions.envelope_list, name="envelopes"),
    under(
        "composition/",
        path("", composition.composition_index, name="compositions"),
        path("<int:campaign_pk>/", composition.composition_page, name="composition"),
        path(
            "<int:campaign_pk>/retirer/<int:member_pk>/",
            composition.composition_remove,
            name="composition-remove",
        ),
    ),
    path("dossiers/<int:pk>/inscrire/", schedule.schedule, name="schedule"),
    path("seances/nouvelle/", sessions.session_create, name="session-create"),
    under(
        "seances/<int:pk>/",
        path("", sessions.session_detail, name="session"),
        path("ordre-du-jour/", sessions.agenda, name="agenda"),
        path("convocation/", sessions.convocation, name="convocation"),
        path("date/", sessions.reschedule, name="reschedule"),
        path("suppleant/", sessions.deputy_chair, name="deputy-chair"),
        path("procuration/", members.proxy, name="proxy"),
        path("procuration/retirer/", members.proxy_revoke, name="proxy-revoke"),
        path("seance/", sitting.sitting, name="sitting"),
        path("seance/ouvrir/", sitting.open_sitting, name="open-sitting"),
        path("seance/emargement/", sitting.attendance, name="attendance"),
        path("seance/ajourner/", sitting.adjourn, name="adjourn"),
        path("seance/clore/", sitting.close, name="close"),
        path("proces-verbal.pdf", sitting.minutes, name="minutes"),
        under(
            "dossiers/<int:item_pk>/",
            path("", members.item_detail, name="item"),
            path("conflit/", members.conflict, name="conflict"),
            path("vote/", members.vote, name="vote"),
            path("ouvrir-le-vote/", sitting.open_vote, name="open-vote"),
            path("clore-le-vote/", sitting.close_vote, name="close-vote"),
            path("decision/", sitting.decide, name="decide"),
        ),
    ),
]
