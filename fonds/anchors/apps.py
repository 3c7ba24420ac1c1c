from django.apps import AppConfig


class AnchorsConfig(AppConfig):
    name = "fonds.anchors"
    label = "anchors"
    verbose_name = "Ancrage de la piste d'audit (horodatage RFC 3161)"

    def ready(self):
        from fonds.ops.health import register_invariant  # noqa: PLC0415 — apps ready first

        from .health import check_anchor  # noqa: PLC0415 — reads models: only once apps are ready

        register_invariant("audit_anchor", check_anchor)
