from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("sante/", views.health, name="health"),
]
