from django.contrib import admin

from messaging.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("sender", "text", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "user_low", "user_high", "created_at", "last_message")
    search_fields = ("user_low__username", "user_high__username")
    raw_id_fields = ("user_low", "user_high", "last_message")
    readonly_fields = ("activity", "created_at", "last_message")
    inlines = [MessageInline]

    def has_add_permission(self, request) -> bool:
        return False
