"""The resellers app's pages, one module per sub-domain (resellers/urls.py maps them)."""
