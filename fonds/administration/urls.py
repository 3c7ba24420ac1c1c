from django.urls import path

from fonds.links import under

from .views import campaigns, grid, rules, texts, whatif

app_name = "administration"

urlpatterns = [
    path("", campaigns.index, name="index"),
    under(
        "campagnes/<int:pk>/",
        path("", campaigns.campaign_page, name="campaign"),
        path("copier/", campaigns.clone, name="clone"),
        path("modifier/", campaigns.adjust, name="adjust"),
        path("ouvrir/", campaigns.open_window, name="open"),
        path("prolonger/", campaigns.extend, name="extend"),
        path("abonder/", campaigns.top_up, name="top-up"),
        path("regles/", rules.rules_page, name="rules"),
        path("regles/v<int:version>/", rules.version_page, name="version"),
        path("grille/", grid.grid_page, name="grid"),
        path("textes/", texts.texts_page, name="texts"),
    ),
    path("simulations/<int:pk>/", whatif.job_page, name="whatif"),
    path("simulations/<int:pk>/etat/", whatif.job_status, name="whatif-status"),
]
