from django.urls import path

from .views import campaigns, grid, rules, texts, whatif

app_name = "administration"

urlpatterns = [
    path("", campaigns.index, name="index"),
    path("campagnes/<int:pk>/", campaigns.campaign_page, name="campaign"),
    path("campagnes/<int:pk>/copier/", campaigns.clone, name="clone"),
    path("campagnes/<int:pk>/modifier/", campaigns.adjust, name="adjust"),
    path("campagnes/<int:pk>/ouvrir/", campaigns.open_window, name="open"),
    path("campagnes/<int:pk>/prolonger/", campaigns.extend, name="extend"),
    path("campagnes/<int:pk>/abonder/", campaigns.top_up, name="top-up"),
    path("campagnes/<int:pk>/regles/", rules.rules_page, name="rules"),
    path("campagnes/<int:pk>/regles/v<int:version>/", rules.version_page, name="version"),
    path("campagnes/<int:pk>/grille/", grid.grid_page, name="grid"),
    path("campagnes/<int:pk>/textes/", texts.texts_page, name="texts"),
    path("simulations/<int:pk>/", whatif.job_page, name="whatif"),
    path("simulations/<int:pk>/etat/", whatif.job_status, name="whatif-status"),
]
