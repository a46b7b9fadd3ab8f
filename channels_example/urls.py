from django.contrib import admin
from django.urls import include, path

from channels_example import health, views

urlpatterns = [
    path("", views.index, name="index"),
    path("health/", health.health, name="health"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
