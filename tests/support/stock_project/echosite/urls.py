from django.urls import path

from channels_kit.daphne.health import health

urlpatterns = [
    path("health/", health, name="health"),
]
