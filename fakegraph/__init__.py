"""A fake Facebook Graph API for tests and local demos (fakegraph.server).

Development only: nothing in Chirp's product code imports it, the Docker image leaves it
out (.dockerignore), and settings install it as a Django app (for the
`facebook_fake_server` command) only with DJANGO_DEBUG on and the package present.
"""
