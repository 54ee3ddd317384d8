"""Admin for Facebook data. The token is never displayed (not even encrypted); writes that
matter go through the services (disconnect purges friends, likes and shares)."""

from django.contrib import admin

from facebook_connect.models import (
    FacebookAccount,
    FacebookDataDeletion,
    FacebookFriend,
    FacebookLike,
    FacebookShare,
)
from facebook_connect.services import connection


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FacebookAccount)
class FacebookAccountAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "facebook_id",
        "name",
        "has_token",
        "token_expires_at",
        "connected_at",
        "disconnected_at",
        "last_synced_at",
    )
    list_filter = ("disconnected_at", "last_synced_at")
    search_fields = ("facebook_id", "name", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    # access_token is left out of every form and list: admins never see it.
    exclude = ("access_token",)
    readonly_fields = (
        "user",
        "facebook_id",
        "name",
        "has_token",
        "token_expires_at",
        "scopes",
        "profile",
        "avatar_name",
        "connected_at",
        "disconnected_at",
        "last_synced_at",
    )

    @admin.display(boolean=True, description="token stored")
    def has_token(self, account: FacebookAccount) -> bool:
        return account.is_connected

    def has_add_permission(self, request) -> bool:
        return False  # accounts are linked through Facebook login

    def delete_model(self, request, obj: FacebookAccount) -> None:
        connection.delete_account(account_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for account_id in queryset.values_list("pk", flat=True):
            connection.delete_account(account_id=account_id)


@admin.register(FacebookFriend)
class FacebookFriendAdmin(ReadOnlyAdmin):
    list_display = ("account", "facebook_id", "name", "synced_at")
    search_fields = ("facebook_id", "name")
    raw_id_fields = ("account",)


@admin.register(FacebookLike)
class FacebookLikeAdmin(ReadOnlyAdmin):
    list_display = ("account", "page_id", "name", "category", "liked_at")
    search_fields = ("page_id", "name")
    raw_id_fields = ("account",)


@admin.register(FacebookShare)
class FacebookShareAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "tweet", "page_id", "status", "attempts", "error", "created_at")
    list_filter = ("status",)
    search_fields = ("user__username", "page_id")
    raw_id_fields = ("user", "tweet")
    list_select_related = ("user",)


@admin.register(FacebookDataDeletion)
class FacebookDataDeletionAdmin(ReadOnlyAdmin):
    list_display = ("confirmation_code", "status", "requested_at", "completed_at")
    list_filter = ("status",)
    search_fields = ("confirmation_code",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of a deletion is what proves it happened
