"""Saved templates in the durable SQL store (SQLite or PostgreSQL): create, read, update
metadata, delete, list, search and the search vectors.

Every read and write is scoped to one tenant: there is no method that returns another
tenant's template. Prompt content (``original_prompt``, ``optimized_prompt``) is written once
and never updated; :meth:`TemplateStore.update_metadata` changes title, description and tags
only. Control characters are stripped before anything is stored.

Search (:meth:`TemplateStore.search`) is full-text plus semantic: the cosine between the
sentence encoder's vector of the query and the stored vector of each template's original
prompt head (``TemplateRow.embedding``), plus a bonus for query terms found verbatim in the
title, description, tags or prompts. The vector is written with the template (the service
hands over the one context detection already computed, so saving costs no encoder call);
rows without one (saved before migration 0004) get it on the first search that reads them.
Without the encoder (a stripped install) search ranks with the lexical measure instead.

Synchronous SQLAlchemy; the async routes call through :meth:`TemplateStore.run` (a thread
hop), as :class:`promptsentry.stores.sql.store.SqlStore` does. The clock is injectable so the
90-day purge after tenant deletion (:mod:`promptsentry.optimizer.retention`) can be tested
without waiting.
"""


from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio.to_thread
import numpy as np
from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker, undefer

from promptsentry.clock import iso_z
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.contexts import ai_context_variants, canonical_ai_context
from promptsentry.optimizer.features import embedding_input
from promptsentry.optimizer.retention import purge_deleted_tenants
from promptsentry.optimizer.similarity import Embedder, default_embedder, lexical_similarity
from promptsentry.optimizer.tables import EMBEDDING_DIM, TemplateRow, pack_vector, unpack_vector
from promptsentry.text import strip_control

__all__ = [
    "BACKFILL_PER_SEARCH",
    "MIN_SEMANTIC",
    "ImmutableContent",
    "Template",
    "TemplateQuery",
    "TemplateStore",
]

R = TypeVar("R")
#: Cosine below which a template is not a semantic match (unrelated MiniLM pairs score
#: about -0.1 to 0.3): it is listed only when a query term occurs in it verbatim.
MIN_SEMANTIC = 0.30
_BACKFILL_BATCH = 64
#: Vectors a search computes at most for rows saved without one (≈ 4 ms each on one core);
#: the rest of such rows are scored lexically until later searches (or
#: :meth:`TemplateStore.backfill_embeddings`) fill them.
BACKFILL_PER_SEARCH = 256
METADATA_FIELDS = frozenset({"title", "description", "tags"})
CONTENT_FIELDS = frozenset({"original_prompt", "optimized_prompt", "optimization_goals",
                            "confidence_score", "ai_context", "ai_context_detected",
                            "optimization_tier", "model_used", "model_optimized_with"})

class ImmutableContent(ValueError):
    """A template update tried to change prompt content."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(f"template content is immutable: {', '.join(fields)}")
        self.fields = fields


_iso = iso_z


def _clean(value: str | None, limit: int | None = None) -> str:
    text = strip_control(value or "")
    return text[:limit] if limit else text


@dataclass(frozen=True, slots=True)
class Template:
    """A saved optimization, as the API returns it."""

    row: dict[str, Any]

    @classmethod
    def of(cls, r: TemplateRow) -> Template:
        return cls({
            "id": r.id,
            "title": r.title,
            "description": r.description,
            "tags": list(r.tags or []),
            "saved_at_utc": _iso(r.created_at),
            "updated_at_utc": _iso(r.updated_at),
            "optimization_tier": r.optimization_tier,
            "confidence_score": r.confidence_score,
            "original_prompt": r.original_prompt,
            "optimized_prompt": r.optimized_prompt,
            "optimization_goals": list(r.optimization_goals or []),
            "ai_context": canonical_ai_context(r.ai_context),
            "domain": r.domain,
            "target_audience": r.target_audience,
            "request_id": r.request_id,
            "request_metadata": dict(r.request_metadata or {}),
            "model_optimized_with": r.model_used,
            "times_used": r.times_used,
            "last_used": _iso(r.last_used),
            "is_public": bool(r.is_public),
        })

    @property
    def id(self) -> str:
        return self.row["id"]

    def as_dict(self) -> dict[str, Any]:
        """The template object of the contract plus our fields."""
        d = dict(self.row)
        d["context_snapshot"] = {"ai_context": d["ai_context"], "domain": d["domain"],
                                 "target_audience": d["target_audience"]}
        d["usage_analytics"] = {"times_used": d["times_used"], "last_used": d["last_used"]}
        d["ai_context_detected"] = d["ai_context"]
        d["created_at"] = d["saved_at_utc"]
        d["model_used"] = d["model_optimized_with"]
        d["usage_count"] = d["times_used"]
        return d


@dataclass(slots=True)
class TemplateQuery:
    """Filters and ordering of a template listing."""

    limit: int = 20
    offset: int = 0
    sort: str = "newest"  # newest | oldest | confidence | usage | title
    goals: list[str] | None = None
    search: str | None = None
    ai_context: str | None = None
    min_confidence: float | None = None


_SORTS = {
    "newest": (TemplateRow.created_at.desc(), TemplateRow.id.desc()),
    "oldest": (TemplateRow.created_at.asc(), TemplateRow.id.asc()),
    "confidence": (TemplateRow.confidence_score.desc(), TemplateRow.created_at.desc()),
    "confidence_asc": (TemplateRow.confidence_score.asc(), TemplateRow.created_at.asc()),
    "usage": (TemplateRow.times_used.desc(), TemplateRow.created_at.desc()),
    "usage_asc": (TemplateRow.times_used.asc(), TemplateRow.created_at.asc()),
    "title": (TemplateRow.title.asc(), TemplateRow.id.asc()),
    "title_desc": (TemplateRow.title.desc(), TemplateRow.id.desc()),
}
SORTS = tuple(_SORTS)


def _search_text(title: str, description: str, tags: list[str], original: str,
                 optimized: str) -> str:
    return " ".join([title, description, " ".join(tags), original, optimized]).lower()


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TemplateStore:
    """Tenant-scoped template repository and usage counters over one SQL engine."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None,
                 default_tenant: str = "default", embedder: Embedder | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.default_tenant = default_tenant
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder | None:
        """The sentence encoder of template search (``None`` when it cannot be loaded)."""
        if self._embedder is None:
            self._embedder = default_embedder()
        return self._embedder

    def embed_prompts(self, texts: list[str]) -> np.ndarray | None:
        """Search vectors of prompts (``[n, EMBEDDING_DIM]``), one encoder call each, or
        ``None`` when the encoder is unavailable or fails — callers then fall back to the
        lexical measure."""
        enc = self.embedder
        if enc is None or not texts:
            return None
        try:
            # one text per encoder call: the int8 model quantises activations per batch, so
            # a vector must not depend on what it was batched with (same as similarity.py)
            vecs = np.stack([np.asarray(enc.embed([embedding_input(t)])[0], dtype=np.float32)
                             for t in texts])
        except Exception as exc:  # noqa: BLE001 - a broken runtime must not fail a request
            _log().warning("template_embedding_failed", error=type(exc).__name__)
            return None
        if vecs.shape != (len(texts), EMBEDDING_DIM):
            return None
        return vecs

    async def run(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run a sync method in the thread pool; a database failure becomes a 503."""
        try:
            return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
        except (OperationalError, InterfaceError, PoolTimeout) as exc:
            raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                           "the template store is unavailable; retry shortly",
                           {"error": type(exc).__name__}) from None

    # --- templates ----------------------------------------------------------------------
    def create(self, tenant_id: str, *, title: str, original_prompt: str,
               optimized_prompt: str, confidence_score: float = 0.0,
               optimization_goals: list[str] | None = None, optimization_tier: str = "rules",
               ai_context: str = "human_communication", description: str = "",
               tags: list[str] | None = None, domain: str | None = None,
               target_audience: str | None = None, request_id: str | None = None,
               request_metadata: dict[str, Any] | None = None,
               model_used: str = "rules-engine", is_public: bool = False,
               embedding: np.ndarray | None = None) -> Template:
        """Save a template. ``embedding``: the search vector of ``original_prompt`` when the
        caller already has it (context detection's head vector); else it is computed here
        (and left ``NULL`` — filled by the next search — when the encoder is unavailable)."""
        now = self.clock()
        tags = [_clean(t, 50) for t in (tags or []) if isinstance(t, str) and t.strip()][:20]
        original = _clean(original_prompt)
        optimized = _clean(optimized_prompt)
        title = _clean(title, 200).strip() or "Untitled template"
        description = _clean(description, 2000)
        row = TemplateRow(
            id=f"tpl_{uuid.uuid4().hex}", tenant_id=tenant_id, title=title,
            description=description, tags=tags, is_public=bool(is_public),
            optimization_tier=optimization_tier, confidence_score=float(confidence_score),
            original_prompt=original, optimized_prompt=optimized,
            optimization_goals=list(optimization_goals or []), ai_context=ai_context,
            domain=_clean(domain, 100) or None, target_audience=_clean(target_audience, 200)
            or None, request_id=request_id, request_metadata=request_metadata or {},
            model_used=_clean(model_used, 100) or "rules-engine", times_used=0, last_used=None,
            created_at=now, updated_at=now, tenant_deleted_at=None,
            search_text=_search_text(title, description, tags, original, optimized),
        )
        vector = None
        if embedding is not None:
            vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
            if vector.shape != (EMBEDDING_DIM,):
                vector = None
        if vector is None:
            computed = self.embed_prompts([original])
            vector = None if computed is None else computed[0]
        row.embedding = None if vector is None else pack_vector(vector)
        with self._sessions.begin() as s:
            s.add(row)
        return Template.of(row)

    def get(self, tenant_id: str, template_id: str, *, count_use: bool = False) -> Template | None:
        """One template of ``tenant_id``; ``count_use`` records a use (``times_used``,
        ``last_used``)."""
        with self._sessions.begin() as s:
            row = s.get(TemplateRow, template_id)
            if row is None or row.tenant_id != tenant_id:
                return None
            if count_use:
                row.times_used = (row.times_used or 0) + 1
                row.last_used = self.clock()
            return Template.of(row)

    def update_metadata(self, tenant_id: str, template_id: str,
                        patch: dict[str, Any]) -> Template | None:
        """Change title, description or tags. Content fields raise :class:`ImmutableContent`
        (unless unchanged); unknown fields are ignored."""
        with self._sessions.begin() as s:
            row = s.get(TemplateRow, template_id)
            if row is None or row.tenant_id != tenant_id:
                return None
            current = Template.of(row).as_dict()
            changed = []
            for key in CONTENT_FIELDS & patch.keys():
                if patch[key] is None:
                    continue
                cur = current.get(key if key != "ai_context_detected" else "ai_context")
                if key == "confidence_score":
                    try:
                        same = abs(float(patch[key]) - float(cur)) < 1e-9
                    except (TypeError, ValueError):
                        same = False
                elif key in ("original_prompt", "optimized_prompt"):
                    same = _clean(str(patch[key])) == cur
                else:
                    same = patch[key] == cur
                if not same:
                    changed.append(key)
            if changed:
                raise ImmutableContent(sorted(changed))
            if "title" in patch and patch["title"] is not None:
                row.title = _clean(str(patch["title"]), 200).strip() or row.title
            if "description" in patch and patch["description"] is not None:
                row.description = _clean(str(patch["description"]), 2000)
            if "tags" in patch and isinstance(patch["tags"], list):
                row.tags = [_clean(t, 50) for t in patch["tags"]
                            if isinstance(t, str) and t.strip()][:20]
            row.updated_at = self.clock()
            row.search_text = _search_text(row.title, row.description, list(row.tags),
                                           row.original_prompt, row.optimized_prompt)
            return Template.of(row)

    def delete(self, tenant_id: str, template_id: str) -> bool:
        with self._sessions.begin() as s:
            res = s.execute(delete(TemplateRow).where(TemplateRow.id == template_id,
                                                      TemplateRow.tenant_id == tenant_id))
            return res.rowcount > 0

    def list(self, tenant_id: str, query: TemplateQuery) -> tuple[list[Template], int]:
        """A page of ``tenant_id``'s templates and the total matching count."""
        conds = [TemplateRow.tenant_id == tenant_id]
        if query.search:
            for term in query.search.lower().split()[:8]:
                conds.append(TemplateRow.search_text.like(f"%{_like_escape(term)}%",
                                                          escape="\\"))
        if query.ai_context:
            conds.append(TemplateRow.ai_context.in_(ai_context_variants(query.ai_context)))
        if query.min_confidence is not None:
            conds.append(TemplateRow.confidence_score >= query.min_confidence)
        order = _SORTS.get(query.sort, _SORTS["newest"])
        with self._sessions() as s:
            if not query.goals:
                total = int(s.scalar(select(func.count()).select_from(TemplateRow)
                                     .where(*conds)) or 0)
                rows = s.scalars(select(TemplateRow).where(*conds).order_by(*order)
                                 .offset(query.offset).limit(query.limit)).all()
                return [Template.of(r) for r in rows], total
            rows = s.scalars(select(TemplateRow).where(*conds).order_by(*order)).all()
        wanted = set(query.goals)
        rows = [r for r in rows if wanted & set(r.optimization_goals or [])]
        page = rows[query.offset:query.offset + query.limit]
        return [Template.of(r) for r in page], len(rows)

    def search(self, tenant_id: str, text: str, *, goals: list[str] | None = None,
               min_confidence: float | None = None, ai_context: str | None = None,
               limit: int = 10, candidates: int = 2000) -> list[tuple[Template, float]]:
        """Full-text plus semantic search over the tenant's most recent ``candidates``
        templates. Returns ``(template, relevance)`` pairs, best first (ties by id).

        ``relevance = (cos + 0.5 * hits / terms) / 1.5`` in 0–1: ``cos`` is the cosine between
        the query's vector and the template's stored one, clipped to 0–1; ``hits`` counts the
        query's words (3+ characters) found verbatim in the title, description, tags or
        prompts. A template is listed when ``cos >= MIN_SEMANTIC`` or a word hits. Vectors
        missing in the store are computed and written back (up to
        :data:`BACKFILL_PER_SEARCH` per search); without the encoder, or for a row whose
        vector is still missing, ``cos`` is the lexical measure of the prompt and of the
        title, description and tags (listed when the sum exceeds 0.05)."""
        conds = [TemplateRow.tenant_id == tenant_id]
        if min_confidence is not None:
            conds.append(TemplateRow.confidence_score >= min_confidence)
        if ai_context:
            conds.append(TemplateRow.ai_context.in_(ai_context_variants(ai_context)))
        with self._sessions() as s:
            rows = s.scalars(select(TemplateRow).where(*conds)
                             .options(undefer(TemplateRow.embedding))
                             .order_by(TemplateRow.created_at.desc()).limit(candidates)).all()
        if goals:
            rows = [r for r in rows if set(goals) & set(r.optimization_goals or [])]
        terms = [t for t in re.findall(r"\w+", text.lower()) if len(t) > 2]
        cosines = self._cosines(tenant_id, text, rows) if rows else None
        scored = []
        for i, r in enumerate(rows):
            hits = sum(1 for t in terms if t in r.search_text)
            bonus = 0.5 * hits / len(terms) if terms else 0.0
            sem = float(cosines[i]) if cosines is not None else float("nan")
            if sem == sem:  # a vector: semantic floor
                if sem < MIN_SEMANTIC and not hits:
                    continue
            else:  # no encoder, or a vector not computed yet: the lexical measure
                sem = max(lexical_similarity(text, r.original_prompt),
                          lexical_similarity(text, f"{r.title} {r.description} "
                                                   f"{' '.join(r.tags or [])}"))
                if sem + bonus <= 0.05:
                    continue
            scored.append((r, round(min(1.0, (sem + bonus) / 1.5), 4)))
        scored.sort(key=lambda p: (-p[1], p[0].id))
        return [(Template.of(r), rel) for r, rel in scored[:limit]]

    def _cosines(self, tenant_id: str, text: str,
                 rows: list[TemplateRow]) -> np.ndarray | None:
        """Cosine (clipped to 0–1) of the query and each row's vector, ``NaN`` for a row
        whose missing vector is beyond this search's :data:`BACKFILL_PER_SEARCH`; the
        vectors computed here are written back. ``None`` when the encoder is unavailable."""
        query = self.embed_prompts([text])
        if query is None:
            return None
        vectors = [unpack_vector(r.embedding) for r in rows]
        missing = [i for i, v in enumerate(vectors) if v is None][:BACKFILL_PER_SEARCH]
        fresh: dict[str, bytes] = {}
        for start in range(0, len(missing), _BACKFILL_BATCH):
            chunk = missing[start:start + _BACKFILL_BATCH]
            vecs = self.embed_prompts([rows[i].original_prompt for i in chunk])
            if vecs is None:
                return None
            for i, v in zip(chunk, vecs):
                vectors[i] = v
                fresh[rows[i].id] = pack_vector(v)
        if fresh:
            self._store_vectors(tenant_id, fresh)
        out = np.full(len(rows), np.nan, dtype=np.float32)
        have = [i for i, v in enumerate(vectors) if v is not None]
        if have:
            out[have] = np.clip(np.stack([vectors[i] for i in have]) @ query[0], 0.0, 1.0)
        return out

    def backfill_embeddings(self, *, batch: int = _BACKFILL_BATCH,
                            limit: int | None = None) -> int:
        """Compute and store the missing search vectors of every tenant's templates (oldest
        first, at most ``limit``); the number written. 0 when the encoder is unavailable.
        Searches do this lazily; this is for an operator who wants it done up front."""
        done = 0
        while limit is None or done < limit:
            size = batch if limit is None else min(batch, limit - done)
            with self._sessions() as s:
                rows = s.execute(select(TemplateRow.id, TemplateRow.tenant_id,
                                        TemplateRow.original_prompt)
                                 .where(TemplateRow.embedding.is_(None))
                                 .order_by(TemplateRow.created_at, TemplateRow.id)
                                 .limit(size)).all()
            if not rows:
                break
            vecs = self.embed_prompts([r.original_prompt for r in rows])
            if vecs is None:
                break
            with self._sessions.begin() as s:
                for r, v in zip(rows, vecs):
                    s.execute(update(TemplateRow)
                              .where(TemplateRow.id == r.id, TemplateRow.tenant_id == r.tenant_id)
                              .values(embedding=pack_vector(v))
                              .execution_options(synchronize_session=False))
            done += len(rows)
        return done

    def _store_vectors(self, tenant_id: str, vectors: dict[str, bytes]) -> None:
        """Write back lazily computed vectors (best effort: a failure only means they are
        computed again next time)."""
        try:
            with self._sessions.begin() as s:
                for template_id, blob in vectors.items():
                    s.execute(update(TemplateRow)
                              .where(TemplateRow.id == template_id,
                                     TemplateRow.tenant_id == tenant_id)
                              .values(embedding=blob)
                              .execution_options(synchronize_session=False))
        except SQLAlchemyError as exc:
            _log().warning("template_embedding_backfill_failed", error=type(exc).__name__,
                           count=len(vectors))

    def iter_all(self, tenant_id: str, *, batch: int = 500) -> Iterator[Template]:
        """Every template of ``tenant_id`` (oldest first), in batches — for export."""
        last_created: datetime | None = None
        last_id = ""
        while True:
            conds = [TemplateRow.tenant_id == tenant_id]
            if last_created is not None:
                conds.append(or_(TemplateRow.created_at > last_created,
                                 and_(TemplateRow.created_at == last_created,
                                      TemplateRow.id > last_id)))
            with self._sessions() as s:
                rows = s.scalars(select(TemplateRow).where(*conds)
                                 .order_by(TemplateRow.created_at, TemplateRow.id)
                                 .limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield Template.of(r)
            last_created, last_id = rows[-1].created_at, rows[-1].id

    def stats(self, tenant_id: str) -> dict[str, Any]:
        with self._sessions() as s:
            n, avg = s.execute(select(func.count(), func.avg(TemplateRow.confidence_score))
                               .where(TemplateRow.tenant_id == tenant_id)).one()
        return {"total_templates": int(n), "average_confidence": round(float(avg or 0), 4)}

    # --- tenant deletion --------------------------------------------------------------------
    def purge_deleted_tenants(self) -> dict[str, int]:
        """Mark and purge the templates of deleted tenants at the clock's now (see
        :func:`promptsentry.optimizer.retention.purge_deleted_tenants`)."""
        return purge_deleted_tenants(self._sessions, now=self.clock(),
                                     default_tenant=self.default_tenant)


def _log() -> Any:
    from promptsentry.observability.logging import get_logger

    return get_logger("promptsentry.optimizer")
