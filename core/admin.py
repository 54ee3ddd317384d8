"""Admin building blocks shared by the apps."""

from django.contrib import admin

from core.models import IdempotencyKey


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only services write (feed rows, fan-out state, join rows): staff may look,
    not add or edit, so counters and invariants stay the services' business.

    Delete permission stays on: Django's admin refuses to delete a tweet or user whose
    cascade reaches a model the staff member may not delete, and these rows only ever go
    with what they belong to. The bulk-delete action is removed so they are not deleted on
    their own by accident.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "state", "status_code", "locked_at", "expires_at")
    list_filter = ("state",)
    search_fields = ("key", "user__username")
    raw_id_fields = ("user",)
    exclude = ("body",)
