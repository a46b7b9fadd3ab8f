from django.contrib import admin
from django.urls import include, path

from channels_example import api, views

urlpatterns = [
    path("", views.index, name="index"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/push/", api.push, name="api-push"),
]
