"""Plain WSGI entry point, for HTTP-only deployments of the Django views."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")
application = get_wsgi_application()
