"""collectstatic without what the site never serves: viewflow's own front end (146 MB; the site
renders viewflow with DSFR templates), DRF's browsable API (JSON renderer only), the DSFR's
per-component sources and source maps (the bundle ``dsfr/dist/dsfr`` and the utility icons are
what pages load). From 11,000 files and 7 minutes to about a tenth."""

from django.contrib.staticfiles.apps import StaticFilesConfig


class FjjStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "viewflow",
        "rest_framework",
        "icon-picker",
        "*.map",
        "*.md",
        "*.scss",
        "dsfr/dist/component/*",
        "dsfr/dist/core/*",
        "dsfr/dist/layout/*",
        "dsfr/dist/scheme/*",
        "dsfr/dist/legacy/*",
        "dsfr/dist/analytics/*",
        "dsfr/dist/dsfr.*",
        "dsfr/dist/*/*.legacy*",
    ]
