from fonds import stages


class SuiviConfig(stages.StageConfig):
    name = "fonds.suivi"
    label = "suivi"
    verbose_name = "Suivi des dossiers (porteurs)"
    # accept_agreement / submit_report preparers, convention task after approve / promote
    hook_modules = ("hooks",)
