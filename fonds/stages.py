"""The stages' AppConfig: each names the modules that install its hooks (preparers, after-hooks,
receivers, health invariants); once Django's app registry is ready, each module's ``register()``
runs, in the order given. Those modules import models, hence not before ``ready()``.
An ``apps.py`` imports this module, not the class: Django picks the one AppConfig class it finds
in ``apps.py`` as the app's default."""

from importlib import import_module

from django.apps import AppConfig


class StageConfig(AppConfig):
    #: modules of this app with a ``register()`` to run once the apps are loaded, in this order
    hook_modules: tuple[str, ...] = ()

    def ready(self):
        for module in self.hook_modules:
            import_module(f"{self.name}.{module}").register()
