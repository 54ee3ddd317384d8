from django.urls import path

from newsfeeds.views import NewsfeedViewSet

urlpatterns = [
    path("newsfeed/", NewsfeedViewSet.as_view({"get": "list"}), name="newsfeed"),
]
