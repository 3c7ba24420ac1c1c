#!/usr/bin/env bash
# Bibliothèques système dont WeasyPrint a besoin (Pango, HarfBuzz) et une police.
# chromium (Debian) : le navigateur de la suite tests/browser (Playwright, sans téléchargement de navigateur).
# docker-compose (Debian) : valide deploy/compose.yaml (tests/ops/test_deploy_folder.py).
# libharfbuzz-subset0 rend la génération des PDF environ deux fois plus rapide (sous-ensembles de polices).
# N'agit que si apt-get existe et que l'on est root ; sinon, affiche ce qu'il faudrait installer.
set -euo pipefail

PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core chromium docker-compose)

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps : pas d'apt-get ici, rien n'est installé. Installez l'équivalent de : ${PACKAGES[*]}"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "system-deps : il faut être root ; en tant que tel, lancez : apt-get install -y ${PACKAGES[*]}"
    exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "system-deps : déjà installés : ${PACKAGES[*]}"
    exit 0
fi

echo "system-deps : installation de ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
    echo "system-deps : échec, nouvel essai après apt-get update"
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
