"""Each stage's AppConfig is the one Django loaded (so its hooks are installed), and each hook
module it names has a ``register()``."""

from importlib import import_module

from django.apps import apps

from fonds.stages import StageConfig

STAGES_WITH_HOOKS = {
    "fonds.bulk",
    "fonds.comite",
    "fonds.conversation",
    "fonds.depot",
    "fonds.eligibilite",
    "fonds.instruction",
    "fonds.payments",
    "fonds.suivi",
}


def test_every_stage_config_is_the_one_django_loaded():
    loaded = {config.name for config in apps.get_app_configs() if isinstance(config, StageConfig)}
    assert STAGES_WITH_HOOKS <= loaded


def test_every_hook_module_has_a_register_function():
    for config in apps.get_app_configs():
        for module in getattr(config, "hook_modules", ()):
            assert callable(import_module(f"{config.name}.{module}").register), (config.name, module)
