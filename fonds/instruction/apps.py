from django.apps import AppConfig


class InstructionConfig(AppConfig):
    name = "fonds.instruction"
    label = "instruction"
    verbose_name = "Instruction"
