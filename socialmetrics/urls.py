from django.contrib import admin
from django.urls import include, path

from sentiment.monitoring import metrics_view
from sentiment.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("", include("sentiment.api.urls")),
    path("metrics", metrics_view, name="metrics"),
]

# API paths answer JSON errors, never an HTML page; other paths keep Django's pages.
handler400 = "sentiment.api.errors.bad_request"
handler404 = "sentiment.api.errors.not_found"
handler500 = "sentiment.api.errors.server_error"
