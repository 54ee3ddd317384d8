"""The API's one router (config/urls.py): DRF's SimpleRouter, every app's viewsets
registered on it, with two additions.

- Singleton resources: a viewset with `singleton = True` is the caller's own one thing
  (`/me/`, `/me/facebook/`): retrieve, create, partial_update and destroy map on its
  prefix, and its `@action(detail=False)`s below it (`/me/avatar/`).
- No order between registrations matters: every literal path (a list, a singleton, an
  `@action(detail=False)`) is matched before any path with a lookup, so
  `/users/suggestions/` is never read as the user "suggestions", whichever app registered
  which first.
"""

from rest_framework.routers import DynamicRoute, Route, SimpleRouter

SINGLETON_ROUTES = [
    Route(
        url=r"^{prefix}{trailing_slash}$",
        mapping={
            "get": "retrieve",
            "post": "create",
            "patch": "partial_update",
            "delete": "destroy",
        },
        name="{basename}",
        detail=False,
        initkwargs={"suffix": "Instance"},
    ),
    DynamicRoute(
        url=r"^{prefix}/{url_path}{trailing_slash}$",
        name="{basename}-{url_name}",
        detail=False,
        initkwargs={},
    ),
]


class Router(SimpleRouter):
    def get_routes(self, viewset):
        if not getattr(viewset, "singleton", False):
            return super().get_routes(viewset)
        routes = []
        for route in SINGLETON_ROUTES:
            if isinstance(route, DynamicRoute):
                actions = [action for action in viewset.get_extra_actions() if not action.detail]
                routes += [self._get_dynamic_route(route, action) for action in actions]
            else:
                routes.append(route)
        return routes

    def get_urls(self):
        # Stable: within each group, registration order is kept.
        return sorted(super().get_urls(), key=lambda url: "(?P<" in str(url.pattern))
