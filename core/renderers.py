"""The browsable API: DRF's HTML renderer, fitted to viewsets that read through selectors."""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    template = "core/browsable/api.html"

    def get_filter_form(self, data, view, request):
        """No filter form unless the view has filter backends.

        DRF builds the view's base queryset for the form before asking the backends for
        their HTML. Our viewsets have no base queryset (each action reads through a
        selector) and no filter backends (filters are selector arguments, documented in the
        schema), so that call could only fail: GenericAPIView asserts a queryset exists.
        """
        if not getattr(view, "filter_backends", None):
            return None
        return super().get_filter_form(data, view, request)
