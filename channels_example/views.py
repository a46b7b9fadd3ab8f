"""HTTP pages. The WebSocket side lives in consumers/ and routing.py."""
from django.shortcuts import render


def index(request):
    return render(request, "index.html")
