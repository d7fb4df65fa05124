"""The home page: what this server is, and a form to try the API."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sentiment.models import ModelVersion


def home(request: HttpRequest) -> HttpResponse:
    # With API_AUTH=token the browser's form would send no token and only ever get 401:
    # the page says so instead and shows the header to send.
    context = {
        "version": ModelVersion.objects.active(),
        "needs_token": settings.API_AUTH == "token",
    }
    return render(request, "home.html", context)
