"""The dossier's conversation: who writes (the commune's porteurs, the fund's instructors, finance
and administrators), each message with its attachments in ONE transaction with its audit event
(author, dossier, SHA-256 of the text and of the attachments) and the ``message_posted`` signal;
read marks per reader. Private instructor notes are not here (``fonds.instruction``): nothing of
this module ever reads them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.dossiers.access import can_see, visible_dossiers
from fonds.dossiers.documents import check_file, safe_name
from fonds.dossiers.limits import limits_for
from fonds.dossiers.models import Dossier, Message
from fonds.dossiers.states import Status
from fonds.refusals import Refused

from .models import Attachment, ReadMark
from .signals import message_posted

#: the fund's side of the conversation, in the order a person's audit role is chosen
FUND_ROLES = (Role.INSTRUCTEUR, Role.FINANCE, Role.ADMIN)
MAX_LENGTH = 5000
#: checks other stages add before a message is written, ``guard(user, locked_dossier)`` raising a
#: ``Refused`` (the instruction's: an instructor with a declared link with the commune)
GUARDS: list[Callable] = []


class ConversationRefused(Refused):
    """A message refused (``fonds.refusals.Refused``: kind, French message)."""


@dataclass(frozen=True)
class Upload:
    """A file attached to a message, as received: its name and bytes."""

    name: str
    data: bytes


def add_guard(guard: Callable) -> None:
    if guard not in GUARDS:  # AppConfig.ready() may run twice in tests
        GUARDS.append(guard)


def side_of(user, dossier) -> str | None:
    """« commune » for a porteur of the dossier's commune, « fonds » for the fund's agents who
    write (instructor, finance, administrator), None for anyone else (committee, auditors)."""
    roles = roles_of(user)
    if Role.PORTEUR in roles and user.commune_id and user.commune_id == dossier.commune_id:
        return Message.Side.COMMUNE
    if roles & set(FUND_ROLES):
        return Message.Side.FUND
    return None


def may_read(user, dossier) -> bool:
    """The two sides and the auditors; not the committee, which judges the dossier, not the exchange
    (attachments may hold minors' data, which the committee never sees)."""
    return side_of(user, dossier) is not None or Role.AUDITEUR in roles_of(user)


def readable_dossiers(user):
    """``visible_dossiers`` narrowed to the conversations ``user`` may read (``may_read``)."""
    roles = roles_of(user)
    if roles & {*FUND_ROLES, Role.AUDITEUR}:
        return visible_dossiers(user)
    if Role.PORTEUR in roles and user.commune_id:
        return visible_dossiers(user).filter(commune_id=user.commune_id)
    return Dossier.objects.none()


def may_write(user, dossier) -> bool:
    return dossier.status != Status.DRAFT and side_of(user, dossier) is not None


def _role(user, side: str) -> str:
    if side == Message.Side.COMMUNE:
        return Role.PORTEUR
    held = roles_of(user)
    return next(role for role in FUND_ROLES if role in held)


def fingerprint(body: str, attachment_hashes: Iterable[str] = ()) -> str:
    """SHA-256 of the text followed by each attachment's SHA-256 (one line each)."""
    text = "\n".join([body, *attachment_hashes])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checked_uploads(dossier, files: Iterable[Upload]) -> list[tuple[Upload, object, str]]:
    """Each file through the dossier documents' own checks (``documents.check_file``, the campaign's
    limits): ``[(upload, sniffed, sha256)]``, or a French ``ValidationError`` naming the file."""
    limits = dossier.rules.params["uploads"]
    out, total = [], 0
    for upload in files:
        try:
            sniffed = check_file(upload.data, limits, bombs=limits_for(limits))
        except ValidationError as exc:
            raise ValidationError({"files": f"« {upload.name} » : {' '.join(exc.messages)}"}) from None
        total += len(upload.data)
        out.append((upload, sniffed, hashlib.sha256(upload.data).hexdigest()))
    if total > int(limits["max_dossier_mb"]) * 1024 * 1024:
        too_big = f"Les pièces jointes dépassent ensemble {limits['max_dossier_mb']} Mo."
        raise ValidationError({"files": too_big})
    return out


def _text(body: str, *, required: bool) -> str:
    text = (body or "").strip()
    if required and not text:
        raise ConversationRefused("motivation", "Le message est vide.")
    if len(text) > MAX_LENGTH:
        raise ConversationRefused("condition", f"Le message : {MAX_LENGTH} caractères au plus.")
    return text


def post_message(dossier, *, by, body: str, files: Iterable[Upload] = ()) -> Message:
    """Write a message in the dossier's conversation as ``by`` (see ``side_of``) with its
    attachments; refused in French (``ConversationRefused``, ``ValidationError`` for a file)."""
    files = list(files)
    text = _text(body, required=not files)
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk=pk)
            locked = locked.first()
            if locked is None or not can_see(by, locked):
                raise ConversationRefused("not_found", "Dossier introuvable.")
            side = side_of(by, locked)
            if side is None:
                raise ConversationRefused(
                    "role",
                    "Seuls les porteurs de la commune et les agents du fonds (instruction, finances, "
                    "administration) écrivent dans la conversation.",
                )
            if locked.status == Status.DRAFT:
                raise ConversationRefused(
                    "status", "La conversation avec le fonds s'ouvre au dépôt du dossier."
                )
            for guard in GUARDS:
                guard(by, locked)
            uploads = checked_uploads(locked, files)
            return record(locked, by=by, side=side, body=text, uploads=uploads, stored=stored)
    except BaseException:
        for path in stored:  # nothing half-stored: remove the files of a rolled-back message
            Attachment._meta.get_field("file").storage.delete(path)
        raise


def record(
    locked, *, by, side: str, body: str, kind=Message.Kind.MESSAGE, correction=None, uploads=(), stored=None
) -> Message:
    """The message row, its attachments, its audit event and ``message_posted``, inside the
    caller's transaction on the locked dossier (also used by the correction after-hooks)."""
    message = Message.objects.create(
        dossier=locked, author=by, body=body, side=side, kind=kind, correction=correction
    )
    attachments = []
    for upload, sniffed, digest in uploads:
        attachment = Attachment(
            message=message,
            original_name=(upload.name or "")[:200],
            content_type=sniffed.content_type,
            size=len(upload.data),
            sha256=digest,
        )
        attachment.file.save(safe_name(upload.name, sniffed.extension), ContentFile(upload.data), save=False)
        if stored is not None:
            stored.append(attachment.file.name)
        attachment.save()
        attachments.append(attachment)
    message.sha256 = fingerprint(body, [a.sha256 for a in attachments])
    Message.objects.filter(pk=message.pk).update(sha256=message.sha256)
    audit.append(
        "message_posted",
        actor=by,
        role=_role(by, side),
        obj=locked,
        payload=payload(locked, message, attachments),
    )
    message_posted.send(sender=Message, message=message, dossier=locked, by=by, side=side)
    return message


def payload(dossier, message, attachments) -> dict:
    """The audit payload of a message: who, which, fingerprints — never the text itself."""
    return {
        "reference": dossier.reference,
        "message": message.pk,
        "kind": message.kind,
        "side": message.side,
        "correction": message.correction_id,
        "sha256": message.sha256,
        "length": len(message.body),
        "attachments": [{"name": a.original_name, "size": a.size, "sha256": a.sha256} for a in attachments],
    }


# ---- reading ------------------------------------------------------------------------------------


def thread(dossier):
    """The dossier's messages, oldest first, with their authors and attachments."""
    return (
        Message.objects.filter(dossier=dossier)
        .select_related("author", "correction")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def mark_read(user, dossier, messages) -> int:
    """Record that ``user`` read the conversation up to its last message; returns the previous
    mark (the messages above it were unread)."""
    last = max((m.pk for m in messages), default=0)
    mark = ReadMark.objects.filter(user=user, dossier=dossier).first()
    previous = mark.last_read if mark else 0
    if last > previous:
        ReadMark.objects.update_or_create(
            user=user, dossier=dossier, defaults={"last_read": last, "read_at": clock.now()}
        )
    return previous


def unread_count(user, dossier) -> int:
    mark = ReadMark.objects.filter(user=user, dossier=dossier).values_list("last_read", flat=True).first()
    return Message.objects.filter(dossier=dossier, pk__gt=mark or 0).exclude(author=user).count()


def conversations(user, *, limit: int = 200):
    """The dossiers ``user`` may read that hold messages, latest first, each annotated with
    ``total``, ``last_at`` and ``unread`` (by others, above the reader's mark): one query."""
    mark = ReadMark.objects.filter(user=user, dossier=OuterRef("pk")).values("last_read")[:1]
    return (
        readable_dossiers(user)
        .annotate(read_up_to=Coalesce(Subquery(mark), 0))
        .annotate(
            total=Count("messages"),
            last_at=Max("messages__created_at"),
            unread=Count("messages", filter=Q(messages__pk__gt=F("read_up_to")) & ~Q(messages__author=user)),
        )
        .filter(total__gt=0)
        .select_related("commune")
        .only("pk", "reference", "title", "status", "commune__name", "commune_id")
        .order_by("-last_at", "-pk")[:limit]
    )
