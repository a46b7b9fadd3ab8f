from django.contrib import admin
from django.urls import include, path

from channels_example import token_views, views

urlpatterns = [
    path("", views.index, name="index"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api-token-auth/", token_views.obtain_token, name="api-token-auth"),
    path("api-token-refresh/", token_views.refresh_token, name="api-token-refresh"),
]
