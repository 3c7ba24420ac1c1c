from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "fonds.conversation"
    label = "conversation"
    verbose_name = "Conversation"

    def ready(self):
        # correction requests and their answers become messages of the thread
        from . import corrections  # noqa: PLC0415 — registers after-hooks: only once the apps are loaded

        corrections.install()
