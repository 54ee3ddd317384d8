from django.contrib import admin

from safety.models import Block, Mute


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Blocks, for looking up. They are made and lifted by users (friendships.services):
    a block also rewrites follows and feeds, which an admin edit would skip."""

    list_display = ("id", "blocker", "blocked", "created_at")
    search_fields = ("blocker__username", "blocked__username")
    list_select_related = ("blocker", "blocked")
    raw_id_fields = ("blocker", "blocked")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Mute)
class MuteAdmin(admin.ModelAdmin):
    list_display = ("id", "muter", "muted", "created_at", "expires_at")
    search_fields = ("muter__username", "muted__username")
    list_select_related = ("muter", "muted")
    raw_id_fields = ("muter", "muted")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
