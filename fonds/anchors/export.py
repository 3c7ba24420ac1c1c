"""The anchors export: every token with its ``(seq, hash)`` and the trusted TSA certificates, in
one JSON file read by ``scripts/verify_audit_export.py --anchors`` next to the trail export."""

from __future__ import annotations

import base64
import json

from asn1crypto import pem

from .models import AuditAnchor
from .service import trusted_certificates
from .tokens import MESSAGE_RULE

FORMAT = "fjj-audit-anchors"


def anchors_document() -> dict:
    return {
        "format": FORMAT,
        "version": 1,
        "message_rule": MESSAGE_RULE,
        "tsa_certificates": [pem.armor("CERTIFICATE", c.dump()).decode() for c in trusted_certificates()],
        "anchors": [
            {
                "seq": a.seq,
                "hash": a.hash,
                "gen_time": a.gen_time.isoformat(),
                "tsa_url": a.tsa_url,
                "reason": a.reason,
                "token": base64.b64encode(bytes(a.token)).decode(),
            }
            for a in AuditAnchor.objects.order_by("seq", "id")
        ],
    }


def write_anchors(fileobj) -> int:
    """Write the export (UTF-8 JSON) to a binary file object; return the number of anchors."""
    document = anchors_document()
    fileobj.write(json.dumps(document, ensure_ascii=False, indent=1).encode())
    return len(document["anchors"])
