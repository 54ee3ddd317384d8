from django.contrib import admin

from core.admin import ReadOnlyAdmin
from lifecycle.models import AccountDeletion, DataExport


# Read-only: a purge and an export are the user's requests, worked by the tasks
# (docs/lifecycle.md); what an export holds is the user's, so the admin sees only the state.
@admin.register(AccountDeletion)
class AccountDeletionAdmin(ReadOnlyAdmin):
    list_display = ("user_id", "status", "step", "requested_at", "completed_at")
    list_filter = ("status",)


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    list_display = ("id", "user_id", "status", "progress", "created_at", "expires_at")
    list_filter = ("status",)
    exclude = ("archive", "token")
