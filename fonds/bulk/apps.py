from fonds import stages


class BulkConfig(stages.StageConfig):
    name = "fonds.bulk"
    label = "bulk"
    verbose_name = "Actions groupées"
    hook_modules = ("hooks",)
