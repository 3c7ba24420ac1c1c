from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration (``seed_demo``, ``demo_otp_code``): an app only for its commands."""

    name = "fonds.demo"
    label = "demo"
    verbose_name = "Démonstration"
