app_name = "administration"
urlpatterns = []
