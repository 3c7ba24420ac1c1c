from fonds import stages


class AvisConfig(stages.StageConfig):
    name = "fonds.avis"
    label = "avis"
    verbose_name = "Avis d'experts"
