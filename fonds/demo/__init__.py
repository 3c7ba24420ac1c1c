"""Demo data for ``python manage.py seed_demo``: accounts for every role, a past pilot campaign
and an open campaign, some thirty dossiers in every status of the state machine.

Nothing here writes a status or a date: each dossier reaches its status through the services
of the people who act on it, in chronological order on the application's clock (``history``,
``timeline``), so the audit trail is the one the application would have written.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .accounts import (
        DEFAULT_PASSWORD,
        DEMO_DOMAIN,
        MAIN_PORTEUR,
        PASSWORD_ENV,
        STAFF_ACCOUNTS,
        DemoError,
        demo_totp_device,
        demo_totp_key,
    )
    from .open_call import NAME as DEMO_CAMPAIGN_NAME
    from .pieces import demo_iban, simple_pdf
    from .pilot import ENVELOPE as PAST_ENVELOPE
    from .seed import SEED, SeedResult, existing_demo, seed_demo

#: name → (module, attribute): read on first use, so that importing the package (an installed app,
#: for its management commands) loads no model before Django's app registry is ready
_LAZY = {
    **{
        name: ("accounts", name)
        for name in (
            "DEFAULT_PASSWORD",
            "DEMO_DOMAIN",
            "MAIN_PORTEUR",
            "PASSWORD_ENV",
            "STAFF_ACCOUNTS",
            "DemoError",
            "demo_totp_device",
            "demo_totp_key",
        )
    },
    "DEMO_CAMPAIGN_NAME": ("open_call", "NAME"),
    "demo_iban": ("pieces", "demo_iban"),
    "simple_pdf": ("pieces", "simple_pdf"),
    "PAST_ENVELOPE": ("pilot", "ENVELOPE"),
    **{name: ("seed", name) for name in ("SEED", "SeedResult", "existing_demo", "seed_demo")},
}


def __getattr__(name: str):
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


#: the fund's SIRET in the demonstration (``FJJ_SIRET`` given by ``scripts/run_dev.py``, i.e. ``make
#: run``): fictitious — the SIREN 999 999 998 and the NIC 9999x (``demo_siret``) belong to nobody —
#: but well formed (14 digits, SIREN and SIRET pass Luhn), so that the demo's SCDL export validates;
#: never a production value
DEMO_FUND_SIRET = "99999999899995"

__all__ = [
    "DEFAULT_PASSWORD",
    "DEMO_CAMPAIGN_NAME",
    "DEMO_DOMAIN",
    "DEMO_FUND_SIRET",
    "MAIN_PORTEUR",
    "PASSWORD_ENV",
    "PAST_ENVELOPE",
    "SEED",
    "STAFF_ACCOUNTS",
    "DemoError",
    "SeedResult",
    "demo_iban",
    "demo_totp_device",
    "demo_totp_key",
    "existing_demo",
    "seed_demo",
    "simple_pdf",
]
