from django.apps import AppConfig, apps


class NotificationsConfig(AppConfig):
    name = "fonds.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import events  # noqa: PLC0415 — events import models: only once the apps are loaded

        events.register()
        if apps.is_installed("fonds.conversation"):  # the conversation app, merged on its own
            from fonds.conversation.signals import message_posted  # noqa: PLC0415 — optional app

            from .conversation import on_message_posted  # noqa: PLC0415 — idem

            message_posted.connect(on_message_posted, dispatch_uid="notifications.message_posted")
