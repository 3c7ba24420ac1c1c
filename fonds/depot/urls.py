app_name = "depot"
urlpatterns = []
