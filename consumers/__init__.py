"""Function consumers, one module per feature; each exposes ``routes`` for routing.py."""
