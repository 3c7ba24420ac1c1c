from fonds import stages


class PaymentsConfig(stages.StageConfig):
    name = "fonds.payments"
    label = "payments"
    verbose_name = "Paiements"
    # the advance order after accept_agreement; settle never before the project's end
    hook_modules = ("hooks",)
