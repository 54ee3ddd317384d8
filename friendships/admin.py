from django.contrib import admin

from friendships import services
from friendships.models import FollowRequest, Friendship


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin):
    """Follows. Removing one goes through unfollow_user, so counters and feeds follow."""

    list_display = ("id", "follower", "followee", "created_at")
    search_fields = ("follower__username", "followee__username")
    list_filter = ("created_at",)
    raw_id_fields = ("follower", "followee")
    list_select_related = ("follower", "followee")
    readonly_fields = ("follower", "followee", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Friendship) -> None:
        services.unfollow_user(follower=obj.follower, username=obj.followee.username)

    def delete_queryset(self, request, queryset) -> None:
        for friendship in queryset.select_related("follower", "followee"):
            self.delete_model(request, friendship)


@admin.register(FollowRequest)
class FollowRequestAdmin(admin.ModelAdmin):
    """Pending requests to follow protected accounts; answered by their targets through
    the API (friendships.services), so read-only here."""

    list_display = ("id", "requester", "target", "created_at")
    search_fields = ("requester__username", "target__username")
    list_select_related = ("requester", "target")
    raw_id_fields = ("requester", "target")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
