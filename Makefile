# Fonds Jumelages Jeunesse — commandes de développement.
#   make run    : virtualenv + installation + migrations + démo, puis web + worker + beat (Ctrl-C arrête tout)
#   make test   : la suite de tests (SQLite, broker embarqué)
#   make help   : toutes les cibles
#
# Rien d'autre n'est requis que Python >= 3.11 et make : le virtualenv .venv est créé au besoin et
# réinstallé quand pyproject.toml change (fichier témoin .venv/.installed-<empreinte de pyproject.toml>).

PYTHON ?= python3
VENV ?= .venv
ADDR ?= 127.0.0.1:8000
# liens des courriels et des PDF (démo comprise) : l'adresse servie, p. ex. make run ADDR=127.0.0.1:8080
# donne http://127.0.0.1:8080 ; une variable FJJ_SITE_URL déjà définie l'emporte
SITE_URL = $(or $(FJJ_SITE_URL),http://$(ADDR))
# options de pytest : deux processus (pytest-xdist ; les tests du vrai broker et ceux du navigateur
# restent chacun dans un même processus, cf. tests/conftest.py) ; en série : make test PYTEST_ARGS=
PYTEST_ARGS ?= -n 2 --dist loadgroup
# chemins de tests : la suite (tests/, cf. pyproject) et les tests des scripts de ce dépôt
TEST_PATHS ?= tests scripts
# bancs d'essai lancés par make bench, et leurs options (p. ex. BENCH_ARGS="--backend sqlite")
BENCH ?= $(wildcard bench/bench_*.py)
BENCH_ARGS ?=
# make mutation : un seul module (p. ex. MODULE=quorum ; la liste : scripts/mutation.py --list)
MODULE ?=

BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
PYPROJECT_HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:16])")
STAMP := $(VENV)/.installed-$(PYPROJECT_HASH)

# Profil « services » de make test-services (PostgreSQL + Redis, cf. README)
SERVICES_ENV := FJJ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
	FJJ_BROKER_URL=redis://127.0.0.1:6379/0 \
	FJJ_RESULT_BACKEND=redis://127.0.0.1:6379/1 \
	FJJ_TEST_DATABASE_NAME=test_fjj

# Échoue clairement si une commande de gestion n'existe pas (encore).
require_command = @$(MANAGE) help $(1) >/dev/null 2>&1 || { \
	echo "ERREUR : la commande « python manage.py $(1) » n'existe pas (encore) dans ce dépôt." >&2; \
	echo "         $(2)" >&2; exit 1; }

.DEFAULT_GOAL := help
.PHONY: help install venv system-deps check-pdf migrate demo run serve test test-services services \
	smoke bench mutation docs lint clean clean-data

help: ## affiche cette aide
	@echo "Fonds Jumelages Jeunesse — cibles make :"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "Création du virtualenv $(VENV) avec $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -q -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) ## crée .venv et installe le projet (pip install -e ".[test]") si besoin

venv: install

system-deps: ## bibliothèques système de WeasyPrint (apt-get, en root seulement)
	@bash scripts/system_deps.sh

check-pdf: install ## vérifie que WeasyPrint produit un PDF dans le virtualenv
	@$(PY) -c "import weasyprint; pdf = weasyprint.HTML(string='<p>Fonds Jumelages Jeunesse</p>').write_pdf(); assert pdf.startswith(b'%PDF'); print('WeasyPrint OK :', len(pdf), 'octets')"

migrate: install ## applique les migrations (base SQLite var/fonds.sqlite3 par défaut)
	$(MANAGE) migrate --noinput

demo: migrate ## charge les communes (fixtures/) et les comptes et dossiers de démonstration
	$(call require_command,import_communes,Elle doit charger le référentiel des communes depuis fixtures/.)
	$(MANAGE) import_communes
	$(call require_command,seed_demo,Elle doit créer les comptes *@demo.fjj.fr et les dossiers de démonstration.)
	FJJ_SITE_URL=$(SITE_URL) $(MANAGE) seed_demo

run: demo ## migrations + démo, puis web (http://127.0.0.1:8000/) + worker + beat ; Ctrl-C arrête tout
	FJJ_SITE_URL=$(SITE_URL) $(PY) scripts/run_dev.py --addr $(ADDR)

serve: migrate ## comme run, sans recharger la démo
	FJJ_SITE_URL=$(SITE_URL) $(PY) scripts/run_dev.py --addr $(ADDR)

test: install ## toute la suite de tests (SQLite, Celery en mode eager)
	$(BIN)/pytest $(TEST_PATHS) $(PYTEST_ARGS)

lint: install ## vérifie le code : ruff (règles et mise en forme) et les contrats d'import (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=. $(BIN)/lint-imports

services: ## vérifie (et démarre au besoin) PostgreSQL et Redis
	@bash scripts/ensure_services.sh

test-services: install services ## la suite contre PostgreSQL + Redis, avec un vrai worker Celery
	$(SERVICES_ENV) $(BIN)/pytest $(TEST_PATHS) $(PYTEST_ARGS)

smoke: install services ## essai de fumée du profil de production : collectstatic, gunicorn FJJ_DEBUG=0, pages d'erreur, 2FA de l'API
	$(PY) scripts/smoke_production.py

bench: install ## lance les bancs d'essai bench/*.py (un seul : BENCH=bench/x.py BENCH_ARGS="--events 10000")
	@set -e; [ -n "$(strip $(BENCH))" ] || { echo "aucun banc d'essai dans bench/"; exit 0; }; \
	for f in $(BENCH); do echo "== $$f $(BENCH_ARGS)"; $(PY) "$$f" $(BENCH_ARGS); done

mutation: install ## score de mutation des modules de règles -> docs/testing.md (un seul : MODULE=quorum)
	nice -n 10 $(PY) scripts/mutation.py $(MODULE)

docs: install ## régénère docs/states.md, docs/flow.svg, docs/flow.md et docs/packages.md
	$(call require_command,export_state_diagram,Elle doit régénérer docs/states.md.)
	$(MANAGE) export_state_diagram
	$(call require_command,export_flow_chart,Elle doit régénérer docs/flow.svg et docs/flow.md.)
	$(MANAGE) export_flow_chart
	$(PY) scripts/package_map.py

clean: ## supprime le virtualenv et les fichiers générés (garde var/, la base locale)
	rm -rf $(VENV) build staticfiles *.egg-info .pytest_cache
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

clean-data: ## supprime var/ : base SQLite locale, broker embarqué, pièces jointes, courriels
	rm -rf var
