from django.contrib import admin

from core.admin import ReadOnlyAdmin
from messaging.models import Conversation, ConversationMember, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("sender", "text", "created_at", "client_id")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "is_group",
        "title",
        "user_low",
        "user_high",
        "created_at",
        "last_message",
    )
    search_fields = ("title", "user_low__username", "user_high__username")
    raw_id_fields = ("user_low", "user_high", "last_message")
    readonly_fields = ("created_at", "last_message")
    inlines = [MessageInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation", "sender", "text", "created_at")
    search_fields = ("sender__username", "text")
    raw_id_fields = ("conversation", "sender")
    list_select_related = ("sender",)


@admin.register(ConversationMember)
class ConversationMemberAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation", "user", "last_read_message_id")
    raw_id_fields = ("conversation", "user")
    list_select_related = ("user",)
