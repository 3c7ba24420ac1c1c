from django.apps import AppConfig


class EligibiliteConfig(AppConfig):
    name = "fonds.eligibilite"
    label = "eligibilite"
    verbose_name = "Éligibilité"

    def ready(self):
        from . import hooks  # noqa: PLC0415 — models are not loaded before ready()

        # E1–E9 at submit (blocking failures refuse it) and at start_instruction
        hooks.register()
