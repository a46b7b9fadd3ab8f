"""The kit's system checks under the ``channels`` tag (docs/checks.md): deployment checks, the Django 2.2 to 5.2 upgrade traps, and the routing walk they share."""
