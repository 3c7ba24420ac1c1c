from django.urls import path

from . import manage_views

app_name = "publication"
urlpatterns = [
    path("<int:pk>/", manage_views.edit, name="edit"),
    path("<int:pk>/masquer/", manage_views.hide, name="hide"),
]
