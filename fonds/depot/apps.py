from fonds import stages


class DepotConfig(stages.StageConfig):
    name = "fonds.depot"
    label = "depot"
    verbose_name = "Dépôt des dossiers (porteurs)"
    hook_modules = ("hooks",)
