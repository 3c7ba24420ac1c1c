from fonds import stages


class EligibiliteConfig(stages.StageConfig):
    name = "fonds.eligibilite"
    label = "eligibilite"
    verbose_name = "Éligibilité"
    # E1–E9 at submit (blocking failures refuse it) and at start_instruction
    hook_modules = ("hooks",)
