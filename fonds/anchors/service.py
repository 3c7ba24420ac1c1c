"""Anchoring the chain head, and checking the anchors against the chain.

``anchor_head`` asks the configured authority for a token over the current head and stores it
(an ``AnchorFailure`` when the authority does not answer: the retry task tries again).
``verify_anchors`` checks every stored token and that the chain still has, at each anchored
sequence number, the hash that was time-stamped, and that the head has not gone back below it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from fonds.audit.canonical import GENESIS_HASH
from fonds.audit.models import AuditEvent, ChainHead

from .models import AnchorFailure, AuditAnchor
from .state import configured
from .tokens import AnchorError, anchor_message, check_token, load_certificates, request_token

logger = logging.getLogger("fonds.anchors")


def trusted_certificates():
    return load_certificates(settings.FJJ_TSA_CERTIFICATES)


def current_head() -> tuple[int, str]:
    row = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def anchor_head(reason: str) -> AuditAnchor | None:
    """Time-stamp the current head; None (and an ``AnchorFailure``) when the authority fails.

    The token is checked before it is kept: a token the verifier would refuse is a failure now.
    """
    if not configured():
        return None
    url = settings.FJJ_TSA_URL
    seq, digest = current_head()
    message = anchor_message(seq, digest)
    try:
        token = request_token(
            url, message, policy=settings.FJJ_TSA_POLICY_OID, timeout=settings.FJJ_TSA_TIMEOUT
        )
        check = check_token(token, message, trusted_certificates(), settings.FJJ_TSA_POLICY_OID)
        if not check.ok:
            raise AnchorError(f"jeton refusé : {check.problem}")
    except (AnchorError, OSError) as exc:
        AnchorFailure.objects.create(reason=reason[:60], tsa_url=url[:300], error=str(exc)[:300])
        logger.warning("ancrage de la piste d'audit impossible (%s) : %s", reason, exc)
        return None
    with transaction.atomic():
        anchor = AuditAnchor.objects.create(
            seq=seq,
            hash=digest,
            token=token,
            gen_time=check.gen_time,
            tsa_url=url[:300],
            policy=check.policy,
            reason=reason[:60],
        )
    logger.info("piste d'audit ancrée : n° %s, empreinte %s, horodatée le %s", seq, digest, check.gen_time)
    return anchor


@dataclass
class AnchorReport:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str = ""
    last: AuditAnchor | None = None
    problems: list[str] = field(default_factory=list)


def verify_anchors(trusted=None) -> AnchorReport:
    """Check every anchor: its token (signature, trusted signer, imprint of its ``(seq, hash)``),
    the hash the chain has now at ``seq``, and that the head was not rewound below ``seq``.

    The first failing anchor (by sequence number) is named; a rewritten history is located between
    the last anchor that still holds and it.
    """
    trusted = trusted_certificates() if trusted is None else trusted
    head_seq, _ = current_head()
    anchors = list(AuditAnchor.objects.order_by("seq", "id"))
    stored = dict(
        AuditEvent.objects.filter(seq__in={a.seq for a in anchors if a.seq > 0}).values_list("seq", "hash")
    )
    held = 0  # the highest sequence number whose anchor still holds
    for anchor in anchors:
        check = check_token(bytes(anchor.token), anchor_message(anchor.seq, anchor.hash), trusted)
        when = f"horodaté le {check.gen_time:%d/%m/%Y à %H:%M} UTC" if check.gen_time else "non daté"
        if not check.ok:
            return _bad(
                anchors, anchor, f"jeton d'horodatage de l'ancrage n° {anchor.seq} refusé : {check.problem}"
            )
        if anchor.seq > head_seq:
            return _bad(
                anchors,
                anchor,
                f"la tête de chaîne (n° {head_seq}) est en deçà du n° {anchor.seq} ancré ({when}) : "
                "derniers événements supprimés et tête reculée",
            )
        now = stored.get(anchor.seq, GENESIS_HASH if anchor.seq == 0 else None)
        if now != anchor.hash:
            return _bad(
                anchors,
                anchor,
                f"l'événement n° {anchor.seq} n'a plus l'empreinte ancrée ({when}) : histoire réécrite "
                f"entre le n° {held + 1} et le n° {anchor.seq}",
            )
        held = anchor.seq
    return AnchorReport(True, len(anchors), last=anchors[-1] if anchors else None)


def _bad(anchors, anchor, reason: str) -> AnchorReport:
    return AnchorReport(False, len(anchors), anchor.seq, reason, anchors[-1])


def describe(report: AnchorReport) -> str:
    if not report.ok:
        return f"Ancrage en défaut au n° {report.first_bad_seq} — {report.reason}."
    if not report.count:
        return "Aucun ancrage horodaté de la piste d'audit."
    last = report.last
    noun = "ancrage horodaté vérifié" if report.count == 1 else "ancrages horodatés vérifiés"
    return (
        f"{report.count} {noun} ; dernier : n° {last.seq}, horodaté le "
        f"{last.gen_time:%d/%m/%Y à %H:%M} UTC par {last.tsa_url}."
    )
