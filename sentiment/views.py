"""The home page: what this server is, and a form to try the API."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sentiment.models import ModelVersion


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"version": ModelVersion.objects.active()})
