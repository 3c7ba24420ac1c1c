"""``build()``: the whole data set, chunk by chunk (one transaction each: rows, then their audit
events through the chain's bulk path), then sequences moved on and statistics refreshed."""

from __future__ import annotations

import random
import time

from django.db import connection

from fonds import clock

from .cast import make_cast, small_communes
from .chunk import Chunk
from .keys import Keys, reset_sequences
from .life import Ctx, live

CHUNK = 1000  # dossiers per transaction


def build(
    *,
    campaigns: int | None,
    scale: float = 1.0,
    dossiers: int | None = None,
    instructors: int = 20,
    seed: int = 2026,
    out=print,
) -> dict:
    """``campaigns`` campaigns of one dossier per ``scale`` share of the small communes (or
    ``dossiers`` in all, spread over the campaigns; ``campaigns=None``: as many as one dossier per
    small commune and campaign needs). Returns the counts written."""
    started = time.perf_counter()
    rng = random.Random(seed)
    keys = Keys()
    small = small_communes()
    if campaigns is None:
        campaigns = max(1, -(-dossiers // len(small)))
    per_campaign = max(1, round(len(small) * scale)) if dossiers is None else -(-dossiers // campaigns)
    # one dossier per commune and campaign (E7): each campaign's communes drawn among the small ones
    codes = [c for c, _ in small]
    drawn = [sorted(rng.sample(codes, min(per_campaign, len(codes)))) for _ in range(campaigns)]
    used = sorted(set().union(*drawn))
    cast = make_cast(campaigns=campaigns, small=small, used=used, instructors=instructors, keys=keys, out=out)
    ctx = Ctx(cast=cast, keys=keys, rng=rng, now=clock.now())
    plan = [(campaign, code) for campaign, part in zip(cast.campaigns, drawn, strict=True) for code in part]
    if dossiers is not None:
        plan = plan[:dossiers]
    made = events = 0
    for start in range(0, len(plan), CHUNK):
        chunk = Chunk(keys)
        part = plan[start : start + CHUNK]
        for campaign, code in part:
            live(chunk, ctx, campaign, code)
        events += chunk.write(cast.finance)
        made += len(part)
        if made % 10_000 < CHUNK or made == len(plan):
            out(f"  {made} dossiers, {events} événements d'audit ({time.perf_counter() - started:.0f} s)")
    reset_sequences(keys.models())
    with connection.cursor() as cursor:
        # what autovacuum gives a live database: fresh statistics and, on PostgreSQL, the
        # visibility map without which index-only scans still read every heap page
        # (VACUUM cannot run in a transaction: plain ANALYZE when called inside one, as in tests)
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return {"dossiers": made, "events": events, "seconds": time.perf_counter() - started}
