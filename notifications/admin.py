from django.contrib import admin

from notifications.models import Notification, NotificationOptOut


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "actor", "verb", "unread", "created_at")
    list_filter = ("verb", "unread", "created_at")
    search_fields = ("recipient__username", "actor__username")
    raw_id_fields = ("recipient", "actor", "tweet", "comment")
    readonly_fields = ("dedupe_key", "created_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(admin.ModelAdmin):
    """Verbs users turned off in /me/notification-settings/ (theirs to change)."""

    list_display = ("id", "user", "verb")
    list_filter = ("verb",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
