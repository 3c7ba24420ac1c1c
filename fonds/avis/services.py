"""Asking an outside expert for an opinion (avis), answering it, cancelling it.

Every change runs in one transaction with its audit event (on the dossier, so it shows in the
dossier's history) and leaves its emails through the outbox. The expert is a restricted account
(role ``expert``, second factor like every agent) invited through the accounts' own invitation
(``fonds.depot.invitations``): one set-password link, then the code.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role, has_role, is_read_only, roles_of
from fonds.audit import chain as audit
from fonds.depot.invitations import send_invitation
from fonds.dossiers.documents import check_file, safe_name
from fonds.dossiers.limits import limits_for
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.ops import outbox
from fonds.refusals import Refused

from .models import AvisRequest

#: the dossiers an opinion may be asked about: submitted, not yet decided
OPEN_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.IN_INSTRUCTION,
        Status.CORRECTIONS_REQUESTED,
        Status.INSTRUCTED,
        Status.IN_COMMITTEE,
        Status.WAITLISTED,
    }
)
ASKING_ROLES = (Role.INSTRUCTEUR, Role.ADMIN)


class AvisRefused(Refused):
    """A request, answer or cancellation of an opinion that the rules forbid."""


NOT_AN_EXPERT = (
    "Cette adresse est celle d'un compte du fonds ou d'une commune : un avis se demande à une "
    "personne extérieure, qui reçoit un compte d'expert."
)
DEADLINE_PAST = "La date limite doit être postérieure à aujourd'hui."
CLOSED_DOSSIER = "On ne demande un avis que sur un dossier déposé et pas encore décidé."
ALREADY_ASKED = "Cet expert a déjà une demande d'avis en attente sur ce dossier."
NOT_PENDING = "Cette demande d'avis n'est plus en attente : elle ne peut plus changer."
TOO_LATE = "La date limite de cette demande est dépassée : l'avis ne peut plus être rendu."
EMPTY_ANSWER = "Écrivez votre avis."


def may_ask(user) -> bool:
    """Instructors (and administrators) ask; the auditor reads only."""
    return has_role(user, *ASKING_ROLES) and not is_read_only(user)


def _check_asker(by) -> None:
    if not may_ask(by):
        raise AvisRefused("role", "Seuls les instructeurs demandent un avis d'expert.")


def _check_deadline(deadline: dt.date) -> None:
    if deadline <= clock.today():
        raise AvisRefused("condition", DEADLINE_PAST)


def expert_account(email: str, *, by, first_name: str = "", last_name: str = "") -> tuple[User, bool]:
    """The expert's account for ``email`` and whether it was created now (then invited: the
    accounts' set-password link, ``fonds.depot.invitations.send_invitation``). An address that
    belongs to an agent, a commune or anyone holding another role is refused."""
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if roles_of(user) != {Role.EXPERT} or user.is_staff or user.commune_id:
            raise AvisRefused("condition", NOT_AN_EXPERT)
        return user, False
    user = User.objects.create_user(email, None, first_name=first_name[:150], last_name=last_name[:150])
    user.groups.add(Group.objects.get_or_create(name=Role.EXPERT)[0])
    audit.append(
        "expert_account_created",
        actor=by,
        role=Role.INSTRUCTEUR,
        obj=user,
        payload={"after": {"email": user.email, "roles": [Role.EXPERT]}, "source": "avis"},
    )
    send_invitation(user, by=by, role=Role.INSTRUCTEUR)
    return user, True


def _create(dossier, *, by, expert, question, deadline, visibility, invited) -> AvisRequest:
    if dossier.status not in OPEN_STATUSES:
        raise AvisRefused("status", CLOSED_DOSSIER)
    if AvisRequest.objects.filter(dossier=dossier, expert=expert, status=AvisRequest.Status.PENDING).exists():
        raise AvisRefused("conflict", ALREADY_ASKED)
    avis = AvisRequest.objects.create(
        dossier=dossier,
        expert=expert,
        requested_by=by,
        question=question,
        deadline=deadline,
        visibility=visibility,
    )
    audit.append(
        "avis_requested",
        actor=by,
        role=Role.INSTRUCTEUR,
        obj=dossier,
        payload={
            "avis": avis.pk,
            "expert": expert.pk,
            "deadline": deadline.isoformat(),
            "visibility": visibility,
            "question_sha256": hashlib.sha256(question.encode()).hexdigest(),
            "account_created": invited,
        },
    )
    outbox.enqueue("fonds.avis.tasks.send_avis_email", "requested", avis.pk)
    return avis


def request_avis(
    dossier: Dossier,
    *,
    by,
    email: str,
    question: str,
    deadline: dt.date,
    visibility: str = AvisRequest.Visibility.CONFIDENTIAL,
    first_name: str = "",
    last_name: str = "",
) -> AvisRequest:
    """Ask the expert at ``email`` about ``dossier``: one request, one ``avis_requested`` event,
    the expert's email (and their invitation when the account is new)."""
    return request_avis_many(
        [dossier],
        by=by,
        email=email,
        question=question,
        deadline=deadline,
        visibility=visibility,
        first_name=first_name,
        last_name=last_name,
    )[0]


def request_avis_many(
    dossiers, *, by, email, question, deadline, visibility, first_name="", last_name=""
) -> list[AvisRequest]:
    """The same question to the same expert about each of ``dossiers`` (the bulk action), all or
    nothing: one refused dossier refuses the whole selection, saying which."""
    _check_asker(by)
    _check_deadline(deadline)
    question = (question or "").strip()
    if not question:
        raise AvisRefused("condition", "Écrivez la question posée à l'expert.")
    if visibility not in AvisRequest.Visibility.values:
        raise AvisRefused("condition", "Choisissez la diffusion de l'avis.")
    with transaction.atomic():
        expert, invited = expert_account(email, by=by, first_name=first_name, last_name=last_name)
        locked = list(
            Dossier.objects.select_for_update().filter(pk__in=[d.pk for d in dossiers]).order_by("pk")
        )
        made = []
        for dossier in locked:
            try:
                made.append(
                    _create(
                        dossier,
                        by=by,
                        expert=expert,
                        question=question,
                        deadline=deadline,
                        visibility=visibility,
                        invited=invited,
                    )
                )
            except AvisRefused as refused:
                refused.message = f"{dossier.reference} : {refused.message}"
                raise
        return made


def _lock(avis: AvisRequest) -> AvisRequest:
    return AvisRequest.objects.select_for_update().select_related("dossier").get(pk=avis.pk)


def checked_attachment(dossier: Dossier, name: str, data: bytes):
    """The dossier documents' own checks (type by content, size, decompression limits of the
    campaign): ``(sniffed, sha256)`` or a French ``ValidationError``."""
    limits = dossier.rules.params["uploads"]
    sniffed = check_file(data, limits, bombs=limits_for(limits))
    return sniffed, hashlib.sha256(data).hexdigest()


def answer_avis(
    avis: AvisRequest, *, by, text: str, attachment: tuple[str, bytes] | None = None
) -> AvisRequest:
    """The expert's answer, final once given: text and an optional PDF/JPEG/PNG attachment."""
    text = (text or "").strip()
    if not text:
        raise AvisRefused("condition", EMPTY_ANSWER)
    with transaction.atomic():
        avis = _lock(avis)
        if avis.expert_id != getattr(by, "pk", None):
            raise AvisRefused("not_found", "Demande d'avis introuvable.")
        if not avis.is_pending:
            raise AvisRefused("status", NOT_PENDING)
        if clock.today() > avis.deadline:
            raise AvisRefused("too_early", TOO_LATE)
        digest = ""
        if attachment is not None:
            name, data = attachment
            try:
                sniffed, digest = checked_attachment(avis.dossier, name, data)
            except ValidationError as error:
                raise AvisRefused("condition", " ".join(error.messages)) from None
            avis.attachment.save(safe_name(name, sniffed.extension), ContentFile(data), save=False)
            avis.attachment_name = (name or "")[:200]
            avis.attachment_type = sniffed.content_type
            avis.attachment_size = len(data)
            avis.attachment_sha256 = digest
        avis.answer = text
        avis.status = AvisRequest.Status.ANSWERED
        avis.answered_at = clock.now()
        avis.save()
        audit.append(
            "avis_answered",
            actor=by,
            role=Role.EXPERT,
            obj=avis.dossier,
            payload={
                "avis": avis.pk,
                "answer_sha256": hashlib.sha256(text.encode()).hexdigest(),
                "attachment_sha256": digest,
            },
        )
        outbox.enqueue("fonds.avis.tasks.send_avis_email", "answered", avis.pk)
    return avis


def cancel_avis(avis: AvisRequest, *, by) -> AvisRequest:
    """The instructor withdraws a pending request (the expert is told)."""
    _check_asker(by)
    with transaction.atomic():
        avis = _lock(avis)
        if not avis.is_pending:
            raise AvisRefused("status", NOT_PENDING)
        avis.status = AvisRequest.Status.CANCELLED
        avis.closed_at = clock.now()
        avis.save(update_fields=["status", "closed_at"])
        audit.append(
            "avis_cancelled", actor=by, role=Role.INSTRUCTEUR, obj=avis.dossier, payload={"avis": avis.pk}
        )
        outbox.enqueue("fonds.avis.tasks.send_avis_email", "cancelled", avis.pk)
    return avis
