from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts import services
from accounts.login_pages import AdminLoginForm
from accounts.models import RefreshTokenFamily, User
from core.admin import ReadOnlyAdmin

# The admin's login checks passwords: it shares the password throttle (config/urls.py
# answers its refusals with 429).
admin.site.login_form = AdminLoginForm

COUNTERS = ("followers_count", "following_count", "tweets_count")


class ChirpUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class ChirpUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users and their profiles. Counters are read-only: only services move them."""

    form = ChirpUserChangeForm
    add_form = ChirpUserCreationForm
    list_display = (
        "username",
        "display_name",
        "email",
        "email_verified",
        "is_active",
        "is_staff",
        *COUNTERS,
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "email_verified", "date_joined")
    search_fields = ("username", "display_name", "email")
    ordering = ("-date_joined",)
    readonly_fields = (*COUNTERS, "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Email", {"fields": ("email", "email_verified")}),
        ("Profile", {"fields": ("display_name", "bio", "location", "website", "avatar")}),
        ("Counters", {"fields": COUNTERS}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.deactivate_user(user=obj)

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )


@admin.register(RefreshTokenFamily)
class RefreshTokenFamilyAdmin(ReadOnlyAdmin):
    """One row per login: its refresh tokens rotate within it. A revoked family had one of
    its tokens presented twice (services.refresh_tokens)."""

    list_display = ("id", "user", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
