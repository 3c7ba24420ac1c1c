from fonds import stages


class AdministrationConfig(stages.StageConfig):
    name = "fonds.administration"
    label = "administration"
    verbose_name = "Administration du fonds"
    hook_modules = ("hooks",)
