from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "fonds.privacy"
    label = "privacy"
    verbose_name = "Données personnelles (mineurs)"

    def ready(self):
        from fonds.dossiers import editing  # noqa: PLC0415 — models are not loaded before ready()

        from .services import MINORS_FIELDS, protect  # noqa: PLC0415 — idem

        # the trail seals minors' ages written through fonds.dossiers.editing
        editing.seal_fields(MINORS_FIELDS, protect)
