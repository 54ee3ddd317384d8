"""Demo data and the landing page: the top of the layers (docs/architecture.md), since the
demo spans every app."""
