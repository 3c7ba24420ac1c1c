from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/", views.two_factor, name="two-factor"),
]
