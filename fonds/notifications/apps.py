from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fonds.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import events  # noqa: PLC0415 — events import models: only once the apps are loaded

        events.register()
