from django.apps import AppConfig


class ComiteConfig(AppConfig):
    name = "fonds.comite"
    label = "comite"
    verbose_name = "Comité d'attribution"

    def ready(self):
        from . import agenda, bounds, envelope, health  # noqa: PLC0415 — hooks need the app registry ready

        # agenda: in committee only on an agenda, decisions only in a sitting
        agenda.register()
        # envelope: campaign lock + limit on approve/promote, promotions when money frees
        envelope.register()
        # amounts: approve / waitlist / promote within the award bounds, whatever the path
        bounds.register()
        # /sante/: no dossier « en comité » without an agenda item (an invariant of fonds.ops.health)
        health.register()
