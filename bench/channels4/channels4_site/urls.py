"""No HTTP pages: Django answers every plain request with 404."""
urlpatterns = []
