from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fonds.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import events  # noqa: PLC0415 — events import models: only once the apps are loaded

        events.register()
        from fonds.conversation.signals import message_posted  # noqa: PLC0415 — idem

        from .conversation import on_message_posted  # noqa: PLC0415 — idem

        message_posted.connect(on_message_posted, dispatch_uid="notifications.message_posted")
