"""Start-up objects out of the garbage collector's reach (``gc.freeze()``), in every web and worker
process: a full collection then walks only what requests and tasks create. Without it each full
pass walks the ~190,000 objects of the loaded code (modules, URLconf, templates' loaders), 60–90 ms
of CPU landing in whichever request or task triggers it (docs/benchmarks.md, issue 19)."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def freeze_startup(*, load_urls: bool = True) -> None:
    """Freeze every object alive now; ``load_urls``: load the URLconf first (its views and their
    imports, which the first request would load). A second call freezes what came since."""
    if load_urls:
        get_resolver().url_patterns  # noqa: B018 — loads the URLconf now, not in the first request
    gc.freeze()
