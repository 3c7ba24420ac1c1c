from django.apps import AppConfig


class InstructionConfig(AppConfig):
    name = "fonds.instruction"
    label = "instruction"
    verbose_name = "Instruction"

    def ready(self):
        # conflict-of-interest and completion conditions, chained before the dossier preparers
        from . import hooks  # noqa: PLC0415 — hooks import models: only once the apps are loaded

        hooks.install()
