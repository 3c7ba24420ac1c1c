from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("chiffres/", views.figures, name="figures"),
    path("carte/", views.project_map, name="map"),
    path("donnees/", views.open_data, name="open-data"),
    path("donnees/subventions-scdl.csv", views.scdl_file, name="scdl"),
    path("<str:reference>/", views.project_detail, name="detail"),
]
