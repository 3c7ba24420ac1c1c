"""Who may read (GET) and write (POST) each route — the permission matrix of issue 8, as data.

One line per route pattern of the URL conf (``django.urls.get_resolver()``, ``admin/`` excepted:
the Django admin is for staff administrators only, one rule in the test). A route without a line
here fails ``tests/security/test_permission_matrix.py``: a new view must come with its rule.

Roles (``tests/security/world.py``): ``anonymous``; ``porteur`` of commune A, which holds every
dossier of the world; ``other_porteur`` (commune B); ``instructeur``; ``comite`` (the session's
chair); ``comite_recused`` (a member who declared a conflict on the agenda item); ``finance``;
``auditeur``; ``admin``; ``expert``, asked for an opinion on the dossier in instruction and the one in
committee, never on the others (issue 20).

How a refusal looks (checked by the test):
* anonymous: HTML → 302 to the login page; API → 401 or 403;
* a route about one dossier of commune A (``scoped``): the porteur of another commune gets 404,
  never a 403 (nothing says the dossier exists);
* any other role without access: 403 or 404 (405 when the route has no such method).
An allowed role gets an answer that is no refusal: no 401/403/404/405, no login redirect, no 5xx
(a 400/409 on an empty POST is a business answer, not an access refusal).

``args`` name the world objects put in the URL (``"pk": "in_instruction"``) or give literals
(``"name": "=cancel"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANON = "anonymous"
PORTEUR = "porteur"
OTHER = "other_porteur"
INSTR = "instructeur"
COMITE = "comite"
RECUSED = "comite_recused"
FINANCE = "finance"
AUDIT = "auditeur"
ADMIN = "admin"
#: an outside expert asked for an opinion (issue 20): reads the requests addressed to them only
EXPERT = "expert"

NOBODY: frozenset = frozenset()
OWN = frozenset({PORTEUR})
PORTEURS = frozenset({PORTEUR, OTHER})
STAFF = frozenset({INSTR, COMITE, RECUSED, FINANCE, AUDIT, ADMIN})
#: any signed-in user; the expert too: their own account, and lists that are empty for them
#: (``tests/avis/test_pages.py`` checks they list nothing)
AUTH = PORTEURS | STAFF | {EXPERT}
ANYONE = AUTH | {ANON}
OWN_AND_STAFF = OWN | STAFF
AUDIT_ADMIN = frozenset({AUDIT, ADMIN})
COMMITTEE = frozenset({COMITE, RECUSED})
#: the back offices: instruction (instructors; auditors and administrators read), committee
#: (members; auditors and administrators read), payments (finance; auditors and administrators read)
INSTRUCTION = frozenset({INSTR, AUDIT, ADMIN})
COMMITTEE_READ = COMMITTEE | AUDIT_ADMIN
PAYMENTS_READ = frozenset({FINANCE, AUDIT, ADMIN})
#: minors' data (the signed participant list): not the committee (issue 8, personal data)
MINORS = OWN | {INSTR, FINANCE, AUDIT, ADMIN}
#: the expert opinions: who asks (instructors, administrators), who reads an answer's attachment
ASKERS = frozenset({INSTR, ADMIN})
AVIS_ATTACHMENT = frozenset({EXPERT, INSTR, ADMIN, AUDIT, COMITE})
#: the dossier's conversation between the commune and the fund (auditors read; not the committee)
CONVERSATION = OWN | {INSTR, FINANCE, AUDIT, ADMIN}


@dataclass(frozen=True)
class Rule:
    read: frozenset  # roles answered on GET
    write: frozenset = NOBODY  # roles whose POST is accepted (the business answer may still be 400/409)
    args: dict = field(default_factory=dict)
    scoped: bool = False  # about one dossier (or order) of commune A: another commune's porteur gets 404
    #: a POST that records who read what without changing the fund's data (auditors may do it)
    read_like_post: bool = False
    #: the user's own session or credentials (sign in/out, password, second factor): not the fund's data
    own_account: bool = False
    #: the world holds no such object in the state the page needs (a 404 is then no refusal)
    absent_ok: bool = False
    #: signing out: the answer is the login page
    signs_out: bool = False
    note: str = ""


def r(read, write=NOBODY, **kw) -> Rule:
    return Rule(frozenset(read), frozenset(write), **kw)


D = "in_instruction"
S = {"pk": "session.pk"}
ITEM = {"pk": "session.pk", "item_pk": "item.pk"}

RULES: dict[str, Rule] = {
    # ---- API ------------------------------------------------------------------------------------
    "api/v1/auth/token/": r(
        NOBODY, ANYONE, own_account=True, note="POST credentials → token (400 without); no GET"
    ),
    "api/v1/schema/": r(ANYONE),
    "api/v1/payments/bank-details/<str:commune>/": r(
        OWN_AND_STAFF, args={"commune": "commune.code"}, scoped=True, note="PUT by the porteur"
    ),
    "api/v1/payments/bank-details/<str:commune>/certify/": r(
        NOBODY, {FINANCE}, args={"commune": "commune.code"}, scoped=True
    ),
    "api/v1/payments/bank-details/<str:commune>/reject/": r(
        NOBODY, {FINANCE}, args={"commune": "commune.code"}, scoped=True
    ),
    "api/v1/payments/orders/": r(AUTH, note="a porteur sees its commune's orders only"),
    "api/v1/payments/orders/<str:pk>/": r(OWN_AND_STAFF, args={"pk": "order.pk"}, scoped=True),
    "api/v1/payments/orders/<str:pk>/<str:name>/": r(
        NOBODY, {FINANCE}, args={"pk": "order.pk", "name": "=cancel"}, scoped=True
    ),
    "api/v1/payments/final-reports/<str:dossier>/accept/": r(
        NOBODY, {FINANCE}, args={"dossier": "reported.pk"}, scoped=True
    ),
    "api/v1/payments/batches/": r(AUTH, {FINANCE}, note="a porteur gets an empty list"),
    "api/v1/payments/batches/<str:pk>/": r(STAFF, args={"pk": "batch.pk"}),
    "api/v1/payments/batches/<str:pk>/file/": r({FINANCE, AUDIT}, args={"pk": "batch.pk"}),
    "api/v1/payments/batches/<str:pk>/<str:name>/": r(
        NOBODY, {FINANCE}, args={"pk": "batch.pk", "name": "=sent"}
    ),
    "api/v1/dashboard/": r(AUDIT_ADMIN),
    "api/v1/decisions/": r(AUDIT_ADMIN),
    "api/v1/exports/": r(
        NOBODY, AUDIT_ADMIN, read_like_post=True, note="launching an export records who exported what"
    ),
    "api/v1/exports/<int:pk>/": r(AUDIT_ADMIN, args={"pk": "export_job.pk"}),
    "api/v1/exports/<int:pk>/download/": r(AUDIT_ADMIN, args={"pk": "export_job.pk"}),
    "api/v1/audit-trail/": r(AUDIT_ADMIN),
    "api/v1/audit-trail/export/": r(AUDIT_ADMIN),
    "api/v1/communes/<str:code>/history/": r(AUDIT_ADMIN, args={"code": "commune.code"}),
    "api/v1/^dossiers/$": r(AUTH, PORTEURS, note="POST creates a draft for the porteur's own commune"),
    "api/v1/^dossiers/(?P<pk>\\d{1,18})/$": r(OWN_AND_STAFF, args={"pk": f"{D}.pk"}, scoped=True),
    "api/v1/^dossiers/(?P<pk>\\d{1,18})/audit/$": r(OWN_AND_STAFF, args={"pk": f"{D}.pk"}, scoped=True),
    "api/v1/^dossiers/(?P<pk>\\d{1,18})/transitions/(?P<name>[a-z_]+)/$": r(
        NOBODY, {INSTR}, args={"pk": f"{D}.pk", "name": "=request_corrections"}, scoped=True
    ),
    "api/v1/^dossiers/(?P<pk>\\d{1,18})/transitions/$": r(OWN_AND_STAFF, args={"pk": f"{D}.pk"}, scoped=True),
    "api/v1/public/projects/": r(ANYONE, note="open data (issue 22): no token"),
    "api/v1/public/projects/<str:reference>/": r(ANYONE, args={"reference": "signed.reference"}),
    "api/v1/^avis/$": r({EXPERT}, note="the expert's own requests, read only"),
    "api/v1/^avis/(?P<pk>\\d{1,18})/$": r({EXPERT}, args={"pk": "avis.pk"}),
    "api/v1/^campaigns/$": r(AUTH),
    "api/v1/^campaigns/(?P<pk>\\d{1,18})/$": r(AUTH, args={"pk": "campaign.pk"}),
    "api/v1/^communes/(?P<code>[0-9AB]{5})/$": r(AUTH, args={"code": "commune.code"}),
    # ---- accounts -------------------------------------------------------------------------------
    "compte/double-authentification/": r(AUTH, AUTH, own_account=True),
    "compte/proconnect/": r(NOBODY, own_account=True, note="ProConnect off by default: 404"),
    "compte/proconnect/retour/": r(NOBODY, own_account=True, note="ProConnect off by default: 404"),
    # ---- accounts administration (fonds.depot.account_admin) ------------------------------------
    "administration/comptes/": r(AUDIT_ADMIN),
    "administration/comptes/<int:pk>/": r(
        AUDIT_ADMIN, {ADMIN}, args={"pk": "member3.pk"}, note="POST changes the roles (400 without)"
    ),
    "administration/comptes/<int:pk>/desactiver/": r(AUDIT_ADMIN, {ADMIN}, args={"pk": "member3.pk"}),
    "administration/comptes/<int:pk>/reactiver/": r(AUDIT_ADMIN, {ADMIN}, args={"pk": "member3.pk"}),
    "administration/comptes/<int:pk>/double-authentification/": r(
        AUDIT_ADMIN, {ADMIN}, args={"pk": "member3.pk"}
    ),
    "administration/comptes/<int:pk>/proconnect/": r(AUDIT_ADMIN, {ADMIN}, args={"pk": "member3.pk"}),
    "administration/comptes/inviter/<slug:kind>/": r(AUDIT_ADMIN, {ADMIN}, args={"kind": "=maires"}),
    "administration/comptes/inviter/import/<int:pk>/": r(AUDIT_ADMIN, args={"pk": "invitation_import.pk"}),
    "administration/comptes/inviter/import/<int:pk>/confirmer/": r(
        NOBODY, {ADMIN}, args={"pk": "invitation_import.pk"}, note="400 without the confirmation"
    ),
    "administration/comptes/inviter/import/<int:pk>/etat.json": r(
        AUDIT_ADMIN, args={"pk": "invitation_import.pk"}
    ),
    "connexion/": r(ANYONE, ANYONE, own_account=True, note="a signed-in user is sent home"),
    "deconnexion/": r(NOBODY, AUTH, own_account=True, signs_out=True),
    "depot/compte/invitation/<uidb64>/<token>/": r(
        ANYONE, ANYONE, args={"uidb64": "uidb64", "token": "token"}, own_account=True
    ),
    "depot/compte/mot-de-passe-oublie/": r(ANYONE, ANYONE, own_account=True),
    "depot/compte/mot-de-passe-oublie/envoye/": r(ANYONE, own_account=True),
    "depot/compte/reinitialiser/<uidb64>/<token>/": r(
        ANYONE, ANYONE, args={"uidb64": "uidb64", "token": "token"}, own_account=True
    ),
    "depot/compte/reinitialiser/termine/": r(ANYONE, own_account=True),
    # ---- front office before submission (agents are sent to their own list) ---------------------
    "depot/": r(
        AUTH, AUTH - {AUDIT}, note="a porteur's list; agents are sent to theirs; a POST is read as a GET"
    ),
    "depot/nouveau/<int:campaign_pk>/": r(PORTEURS, PORTEURS, args={"campaign_pk": "campaign.pk"}),
    "depot/dossiers/<int:pk>/": r(
        OWN, OWN, args={"pk": "draft.pk"}, scoped=True, note="sends the porteur to the step to complete"
    ),
    "depot/dossiers/<int:pk>/etapes/<slug:step>/": r(
        OWN, OWN, args={"pk": "draft.pk", "step": "=projet"}, scoped=True
    ),
    "depot/dossiers/<int:pk>/verification/": r(OWN_AND_STAFF, args={"pk": "draft.pk"}, scoped=True),
    "depot/dossiers/<int:pk>/deposer/": r(NOBODY, OWN, args={"pk": "draft.pk"}, scoped=True),
    "depot/dossiers/<int:pk>/depose/": r(OWN_AND_STAFF, args={"pk": "submitted.pk"}, scoped=True),
    "depot/dossiers/<int:pk>/recepisse/": r(OWN_AND_STAFF, args={"pk": "submitted.pk"}, scoped=True),
    "depot/dossiers/<int:pk>/recepisse/etat/": r(OWN_AND_STAFF, args={"pk": "submitted.pk"}, scoped=True),
    # ---- front office after submission -------------------------------------------------------
    "suivi/<int:pk>/": r(OWN_AND_STAFF, args={"pk": "submitted.pk"}, scoped=True),
    # administration of the fund (issue 17): administrators write, auditors read
    "administration/": r(AUDIT_ADMIN),
    "administration/campagnes/<int:pk>/": r(AUDIT_ADMIN, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/copier/": r({ADMIN}, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/modifier/": r({ADMIN}, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/ouvrir/": r(NOBODY, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/prolonger/": r(NOBODY, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/abonder/": r(NOBODY, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/regles/": r(AUDIT_ADMIN, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/regles/v<int:version>/": r(
        AUDIT_ADMIN, args={"pk": "campaign.pk", "version": "=1"}
    ),
    "administration/campagnes/<int:pk>/grille/": r(AUDIT_ADMIN, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/campagnes/<int:pk>/textes/": r(AUDIT_ADMIN, {ADMIN}, args={"pk": "campaign.pk"}),
    "administration/simulations/<int:pk>/": r(AUDIT_ADMIN, args={"pk": "=999999"}, absent_ok=True),
    "administration/simulations/<int:pk>/etat/": r(AUDIT_ADMIN, args={"pk": "=999999"}, absent_ok=True),
    # « Mes notifications »: one's own notices and preferences (marking read changes no fund data)
    "notifications/": r(AUTH),
    "notifications/<int:pk>/lue/": r(
        NOBODY, AUTH, args={"pk": "=999999"}, absent_ok=True, read_like_post=True
    ),
    "notifications/tout-lire/": r(NOBODY, AUTH, read_like_post=True),
    "notifications/preferences/": r(AUTH, AUTH, own_account=True),
    # the dossier's conversation: the commune and the fund write, auditors read; not the committee
    "messages/": r(AUTH),
    "messages/dossiers/<int:pk>/": r(
        CONVERSATION, OWN | {INSTR, FINANCE, ADMIN}, args={"pk": f"{D}.pk"}, scoped=True
    ),
    "messages/dossiers/<int:pk>/pieces-jointes/<int:attachment_pk>/": r(
        CONVERSATION, args={"pk": f"{D}.pk", "attachment_pk": "=999999"}, scoped=True, absent_ok=True
    ),
    "suivi/<int:pk>/corrections/": r(OWN_AND_STAFF, OWN, args={"pk": "corrections.pk"}, scoped=True),
    "suivi/<int:pk>/retrait/": r(
        OWN_AND_STAFF,
        OWN,
        args={"pk": "submitted.pk"},
        scoped=True,
        note="staff read, the state check answers first (409)",
    ),
    "suivi/<int:pk>/renonciation/": r(
        OWN_AND_STAFF,
        OWN,
        args={"pk": "approved.pk"},
        scoped=True,
        note="staff read, the state check answers first (409)",
    ),
    "suivi/<int:pk>/convention/": r(OWN_AND_STAFF, OWN, args={"pk": "approved.pk"}, scoped=True),
    "suivi/<int:pk>/convention/convention.pdf": r(OWN_AND_STAFF, args={"pk": "approved.pk"}, scoped=True),
    "suivi/<int:pk>/rapport/": r(
        OWN, OWN, args={"pk": "paid.pk"}, scoped=True, note="agents read the report once filed (404 before)"
    ),
    "suivi/<int:pk>/rapport/deposer/": r(
        OWN_AND_STAFF,
        args={"pk": "reported.pk"},
        scoped=True,
        note="already submitted: 409 for whoever reads it",
    ),
    "suivi/<int:pk>/rapport/liste-participants.pdf": r(MINORS, args={"pk": "reported.pk"}, scoped=True),
    "suivi/<int:pk>/historique/": r(OWN_AND_STAFF, args={"pk": "submitted.pk"}, scoped=True),
    "suivi/<int:pk>/documents/<int:document_pk>/": r(
        OWN_AND_STAFF, args={"pk": "approved.pk", "document_pk": "generated_document.pk"}, scoped=True
    ),
    # ---- instruction -------------------------------------------------------------------------
    "instruction/": r(INSTRUCTION),
    "instruction/dossiers/": r(INSTRUCTION),
    "instruction/filtres/": r(NOBODY, {INSTR, ADMIN}),
    "instruction/filtres/<int:pk>/supprimer/": r(NOBODY, {INSTR, ADMIN}, args={"pk": "saved_filter.pk"}),
    "instruction/liens/": r(INSTRUCTION, {INSTR}),
    "instruction/etiquettes/": r(INSTRUCTION, {INSTR, ADMIN}),
    "instruction/dossiers/<int:pk>/etiquettes/": r(NOBODY, {INSTR, ADMIN}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/": r(INSTRUCTION, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/grille/": r(NOBODY, {INSTR}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/montant/": r(NOBODY, {INSTR}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/notes/": r(NOBODY, {INSTR, ADMIN}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/messages/": r(NOBODY, {INSTR, ADMIN}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/eligibilite/": r(NOBODY, {INSTR}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/eligibilite/<int:verdict_pk>/derogation/": r(
        INSTRUCTION, {INSTR, ADMIN}, args={"pk": f"{D}.pk", "verdict_pk": "verdict.pk"}
    ),
    "instruction/dossiers/<int:pk>/corrections/": r(INSTRUCTION, {INSTR}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/terminer/": r(INSTRUCTION, {INSTR}, args={"pk": f"{D}.pk"}),
    "instruction/dossiers/<int:pk>/actions/<slug:name>/": r(
        INSTRUCTION, {INSTR}, args={"pk": f"{D}.pk", "name": "=declare_ineligible"}
    ),
    "instruction/dossiers/<int:pk>/pieces/<int:document_pk>/apercu/": r(
        INSTRUCTION, args={"pk": f"{D}.pk", "document_pk": "document.pk"}
    ),
    "instruction/actions-groupees/": r(INSTRUCTION),
    "instruction/actions-groupees/confirmer/": r({INSTR, ADMIN}, {INSTR, ADMIN}),
    "instruction/actions-groupees/<int:pk>/": r(INSTRUCTION, args={"pk": "bulk_job.pk"}),
    "instruction/actions-groupees/<int:pk>/etat.json": r(INSTRUCTION, args={"pk": "bulk_job.pk"}),
    # ---- expert opinions (issue 20): the expert reads their own requests only ---------------
    "avis/": r({EXPERT}, note="« Mes demandes d'avis »"),
    "avis/demandes/<int:pk>/": r(
        {EXPERT}, {EXPERT}, args={"pk": "avis.pk"}, note="the invited expert only; POST answers (400 empty)"
    ),
    "avis/demandes/<int:pk>/pieces/<int:document_pk>/": r(
        {EXPERT}, args={"pk": "avis.pk", "document_pk": "expert_document.pk"}
    ),
    "avis/demandes/<int:pk>/piece-jointe/": r(
        AVIS_ATTACHMENT,
        args={"pk": "answered_avis.pk"},
        note="shared with the committee; the recused member reads nothing of the dossier",
    ),
    "avis/demandes/<int:pk>/annuler/": r(NOBODY, ASKERS, args={"pk": "avis.pk"}),
    "avis/dossiers/<int:pk>/demander/": r(ASKERS, ASKERS, args={"pk": f"{D}.pk"}),
    "avis/selection/": r(ASKERS, ASKERS, note="POST without a question shows the selection again"),
    # ---- committee (``comite`` is the chair) -------------------------------------------------
    "comite/": r(COMMITTEE_READ),
    "comite/enveloppes/": r(COMMITTEE_READ),
    "comite/composition/": r(COMMITTEE_READ),
    "comite/composition/<int:campaign_pk>/": r(
        COMMITTEE_READ, {ADMIN}, args={"campaign_pk": "session.campaign_id"}
    ),
    "comite/composition/<int:campaign_pk>/retirer/<int:member_pk>/": r(
        {ADMIN}, {ADMIN}, args={"campaign_pk": "session.campaign_id", "member_pk": "member3.pk"}
    ),
    "comite/dossiers/<int:pk>/inscrire/": r({INSTR, ADMIN}, {INSTR, ADMIN}, args={"pk": f"{D}.pk"}),
    "comite/seances/nouvelle/": r({ADMIN}, {ADMIN}),
    "comite/seances/<int:pk>/": r(COMMITTEE_READ, args=S),
    "comite/seances/<int:pk>/ordre-du-jour/": r({ADMIN}, {ADMIN}, args=S),
    "comite/seances/<int:pk>/convocation/": r({ADMIN}, {ADMIN}, args=S),
    "comite/seances/<int:pk>/date/": r(
        {ADMIN}, {ADMIN}, args=S, note="the session sits: its date no longer changes (409/400)"
    ),
    "comite/seances/<int:pk>/suppleant/": r({ADMIN}, {ADMIN}, args=S),
    "comite/seances/<int:pk>/procuration/": r(COMMITTEE, COMMITTEE, args=S),
    "comite/seances/<int:pk>/procuration/retirer/": r(NOBODY, COMMITTEE | {ADMIN}, args=S),
    "comite/seances/<int:pk>/seance/": r(COMMITTEE_READ, args=S),
    "comite/seances/<int:pk>/seance/ouvrir/": r({COMITE}, {COMITE}, args=S),
    "comite/seances/<int:pk>/seance/emargement/": r(NOBODY, {COMITE}, args=S),
    "comite/seances/<int:pk>/seance/ajourner/": r({COMITE}, {COMITE}, args=S),
    "comite/seances/<int:pk>/seance/clore/": r({COMITE}, {COMITE}, args=S),
    "comite/seances/<int:pk>/proces-verbal.pdf": r(
        COMMITTEE_READ, args=S, absent_ok=True, note="the session is not closed: no minutes yet (404)"
    ),
    "comite/seances/<int:pk>/dossiers/<int:item_pk>/": r(
        COMMITTEE_READ - {RECUSED}, args=ITEM, note="a recused member may not read the item"
    ),
    "comite/seances/<int:pk>/dossiers/<int:item_pk>/conflit/": r(COMMITTEE, COMMITTEE, args=ITEM),
    "comite/seances/<int:pk>/dossiers/<int:item_pk>/vote/": r(
        NOBODY,
        {COMITE, ADMIN},
        args=ITEM,
        note="the recused member never votes; the administrator records a vote for a member",
    ),
    "comite/seances/<int:pk>/dossiers/<int:item_pk>/ouvrir-le-vote/": r(NOBODY, {COMITE}, args=ITEM),
    "comite/seances/<int:pk>/dossiers/<int:item_pk>/clore-le-vote/": r({COMITE}, {COMITE}, args=ITEM),
    "comite/seances/<int:pk>/dossiers/<int:item_pk>/decision/": r({COMITE}, {COMITE}, args=ITEM),
    # ---- payments (finance acts; auditors and administrators read) ---------------------------
    "paiements/": r(PAYMENTS_READ),
    "paiements/ordres/<int:pk>/": r(PAYMENTS_READ, args={"pk": "order.pk"}),
    "paiements/ordres/<int:pk>/actions/<slug:name>/": r(
        PAYMENTS_READ, {FINANCE}, args={"pk": "order.pk", "name": "=cancel"}
    ),
    "paiements/lots/": r(PAYMENTS_READ),
    "paiements/lots/constituer/": r(PAYMENTS_READ, {FINANCE}),
    "paiements/lots/<int:pk>/": r(PAYMENTS_READ, args={"pk": "batch.pk"}),
    "paiements/lots/<int:pk>/fichier.xml": r(PAYMENTS_READ, args={"pk": "batch.pk"}),
    "paiements/lots/<int:pk>/rejet/": r(NOBODY, {FINANCE}, args={"pk": "executed_batch.pk"}),
    "paiements/lots/<int:pk>/<slug:name>/": r(
        PAYMENTS_READ, {FINANCE}, args={"pk": "batch.pk", "name": "=transmis"}
    ),
    "paiements/coordonnees-bancaires/": r(PAYMENTS_READ),
    "paiements/coordonnees-bancaires/<str:code>/": r(PAYMENTS_READ, {FINANCE}, args={"code": "commune.code"}),
    "paiements/coordonnees-bancaires/<str:code>/rejeter/": r(
        PAYMENTS_READ, {FINANCE}, args={"code": "commune.code"}
    ),
    "paiements/coordonnees-bancaires/<str:code>/rib/": r(PAYMENTS_READ, args={"code": "commune.code"}),
    "paiements/rapports-finals/": r(PAYMENTS_READ),
    "paiements/rapports-finals/<int:pk>/": r(PAYMENTS_READ, {FINANCE}, args={"pk": "reported.pk"}),
    "paiements/rapports-finals/<int:pk>/reemettre-solde/": r(
        PAYMENTS_READ, {FINANCE}, args={"pk": "reported.pk"}
    ),
    "paiements/commune/coordonnees-bancaires/": r(PORTEURS, PORTEURS),
    "paiements/dossier/<int:pk>/coordonnees-bancaires/": r(OWN, OWN, args={"pk": "signed.pk"}, scoped=True),
    "paiements/dossier/<int:pk>/reversement/": r(OWN, OWN, args={"pk": "recovery_dossier.pk"}, scoped=True),
    # ---- control (auditors and administrators) -----------------------------------------------
    "controle/": r(AUDIT_ADMIN),
    "controle/exports/csv/": r(AUDIT_ADMIN),
    "controle/exports/": r(
        NOBODY, AUDIT_ADMIN, read_like_post=True, note="launching an export records who exported what"
    ),
    "controle/exports/<int:pk>/": r(AUDIT_ADMIN, args={"pk": "export_job.pk"}),
    "controle/exports/<int:pk>/etat/": r(AUDIT_ADMIN, args={"pk": "export_job.pk"}),
    "controle/exports/<int:pk>/fichier/": r(AUDIT_ADMIN, args={"pk": "export_job.pk"}),
    "controle/piste-audit.jsonl": r(AUDIT_ADMIN),
    "controle/dossiers/<int:pk>/piste-audit.jsonl": r(AUDIT_ADMIN, args={"pk": f"{D}.pk"}),
    "controle/dossiers/<int:pk>/historique.pdf": r(
        STAFF, args={"pk": f"{D}.pk"}, note="every agent who sees the dossier"
    ),
    # ---- proof: the complete dossier PDF per audience (issue 21); asking for it is read-like ------
    "preuves/dossiers/<int:pk>/complet/instructeur/": r(
        {INSTR, ADMIN}, {INSTR, ADMIN}, args={"pk": f"{D}.pk"}, note="the instruction's version"
    ),
    "preuves/dossiers/<int:pk>/complet/instructeur/etat/": r({INSTR, ADMIN}, args={"pk": f"{D}.pk"}),
    "preuves/dossiers/<int:pk>/complet/comite/": r(
        COMMITTEE | {ADMIN}, COMMITTEE | {ADMIN}, args={"pk": f"{D}.pk"}, note="no private notes"
    ),
    "preuves/dossiers/<int:pk>/complet/comite/etat/": r(COMMITTEE | {ADMIN}, args={"pk": f"{D}.pk"}),
    "preuves/dossiers/<int:pk>/complet/auditeur/": r(
        AUDIT_ADMIN, AUDIT_ADMIN, args={"pk": f"{D}.pk"}, read_like_post=True, note="everything"
    ),
    "preuves/dossiers/<int:pk>/complet/auditeur/etat/": r(AUDIT_ADMIN, args={"pk": f"{D}.pk"}),
    # ---- proof: campaign archives, auditors only (issue 21, d) --------------------------------
    "preuves/archives/": r(
        {AUDIT}, {AUDIT}, read_like_post=True, note="asking for an archive changes no data"
    ),
    "preuves/archives/<int:pk>/": r({AUDIT}, args={"pk": "campaign_archive.pk"}),
    "preuves/archives/<int:pk>/etat/": r({AUDIT}, args={"pk": "campaign_archive.pk"}),
    "preuves/archives/<int:pk>/fichier/": r(
        {AUDIT}, args={"pk": "campaign_archive.pk"}, note="queued in the world: leads to its progress page"
    ),
    "controle/tableau-de-bord/": r(AUDIT_ADMIN),
    "controle/tableau-de-bord/<slug:slug>/": r(AUDIT_ADMIN, args={"slug": "=statuts"}),
    # ---- site ----------------------------------------------------------------------------------
    "sante/": r(ANYONE),
    "accessibilite/": r(ANYONE, note="the accessibility statement: public (RGAA)"),
    "": r(
        AUTH,
        AUTH - {AUDIT},
        note="sends each one to their home page, whatever the method (anonymous: the login page)",
    ),
    # ---- the projects the fund supports: public, no sign-in (issue 22) ------------------------
    "projets/": r(ANYONE),
    "projets/chiffres/": r(ANYONE),
    "projets/carte/": r(ANYONE),
    "projets/donnees/": r(ANYONE),
    "projets/donnees/subventions-scdl.csv": r(
        ANYONE, absent_ok=True, note="404 while the fund's SIRET is not configured (FJJ_SIRET)"
    ),
    "projets/<str:reference>/": r(ANYONE, args={"reference": "signed.reference"}),
    "publication/<int:pk>/": r(
        OWN | {ADMIN}, OWN, args={"pk": "signed.pk"}, scoped=True, note="the mayor writes, the admin reads"
    ),
    "publication/<int:pk>/masquer/": r({ADMIN}, {ADMIN}, args={"pk": "signed.pk"}),
    "dossiers/": r(AUTH),
    "dossiers/<int:pk>/": r(OWN_AND_STAFF, args={"pk": f"{D}.pk"}, scoped=True),
    "dossiers/<int:pk>/actions/<slug:name>/": r(
        OWN_AND_STAFF, {INSTR}, args={"pk": f"{D}.pk", "name": "=declare_ineligible"}, scoped=True
    ),
    "dossiers/<int:pk>/pieces/<int:document_pk>/": r(
        OWN_AND_STAFF, args={"pk": f"{D}.pk", "document_pk": "document.pk"}, scoped=True
    ),
    "taches/": r(AUTH),
}
