from django.urls import path

from channels_kit.health import health

urlpatterns = [
    path("health/", health, name="health"),
]
