from fonds import stages


class InstructionConfig(stages.StageConfig):
    name = "fonds.instruction"
    label = "instruction"
    verbose_name = "Instruction"
    # conflict-of-interest and completion conditions, chained before the dossier preparers
    hook_modules = ("hooks",)
