"""Static files for production: WhiteNoise's compressed, hashed storage, tolerant of third-party CSS
that references files its package does not ship (viewflow's bundled Roboto CSS names font weights
that are absent). Such a reference is left unhashed and logged instead of failing collectstatic;
our own CSS is checked by the test that runs collectstatic (tests/ops/test_deploy.py)."""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger("fonds.static")
THIRD_PARTY_PREFIXES = ("viewflow/",)


class StaticStorage(CompressedManifestStaticFilesStorage):
    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)
        if not name.startswith(THIRD_PARTY_PREFIXES):
            return convert

        def tolerant(matchobj):
            try:
                return convert(matchobj)
            except ValueError as exc:
                logger.warning("référence manquante laissée telle quelle dans %s : %s", name, exc)
                return matchobj.group(0)

        return tolerant
