from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/lue/", views.mark_read, name="read"),
    path("tout-lire/", views.mark_all_read, name="read-all"),
    path("preferences/", views.preferences, name="preferences"),
]
