from django.apps import AppConfig


class FriendshipsConfig(AppConfig):
    name = "friendships"
    verbose_name = "Follows"

    def ready(self) -> None:
        # accounts sits below this app (docs/architecture.md, layers): protecting an account
        # in PATCH /me/, or lifting its protection, reaches follows and tweets through this.
        from accounts import services as account_services
        from friendships.services import protection_changed

        account_services.protection_changed_hooks.append(protection_changed)
