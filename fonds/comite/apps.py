from fonds import stages


class ComiteConfig(stages.StageConfig):
    name = "fonds.comite"
    label = "comite"
    verbose_name = "Comité d'attribution"
    # agenda: in committee only on an agenda, decisions only in a sitting
    # envelope: campaign lock + limit on approve/promote, promotions when money frees
    # bounds: approve / waitlist / promote within the award bounds, whatever the path
    # health: no dossier « en comité » without an agenda item (an invariant of /sante/)
    hook_modules = ("agenda", "envelope", "bounds", "health")
