"""The session provenance graph: where each piece of an agent's text came from.

Every scan in a session adds a *node* — a user prompt, a tool call, a tool's return value or
a response — linked to the *parent* nodes whose data flowed into it. Each node carries a trust
label (the CaMeL idea: track provenance, and let a sensitive tool refuse inputs derived from
untrusted data):

=============== ===== ==================================================================
label           trust meaning
=============== ===== ==================================================================
``EXTERNAL``    0     outside data (web pages, e-mail, search results) or known-bad text
``DERIVED``     1     derived from a tainted node (one judged malicious)
``TOOL_RETURN`` 2     a tool's return value
``AGENT``       3     produced by the model
``USER``        4     typed by the user
=============== ===== ==================================================================

Labels are assigned automatically:

* a ``prompt`` is ``USER``: it is a new human turn, whatever trust came before (taint
  still applies, below);
* a ``tool_call`` carries the trust of the data flowing into it — the lowest trust of its
  parents (``AGENT`` without parents);
* a ``tool_return`` is ``TOOL_RETURN``, or ``EXTERNAL`` when the tool fetches outside data
  (its name or its call's arguments say web, http, fetch, search, e-mail…); it never trusts
  more than its parents;
* a ``response`` is ``AGENT``, lowered to its lowest-trust parent;
* a node judged malicious (other than a user prompt) becomes ``EXTERNAL`` and *taints*
  everything derived from it: descendants — later user turns included — trust at most
  ``DERIVED``. ``taint_depth`` counts
  how far the taint has travelled.

A ``tool_call`` with ``min_trust`` whose trust is lower is a **provenance violation**.

An explicit label replaces the automatic one when the tenant allows overrides; otherwise it
may only lower trust. Taint always applies.

The graph is bounded: beyond ``max_nodes`` the oldest nodes are folded into a summary that
keeps what later decisions need (lowest trust, taint) and drops the rest. Parent ids that
point into the summary count with the summary's lowest trust; ids the session never issued
count as ``EXTERNAL``.

Everything here is pure: a :class:`SessionGraph` in, a new one out, no clocks or I/O.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any


class Trust(IntEnum):
    """Trust levels; higher is more trusted."""

    EXTERNAL = 0
    DERIVED = 1
    TOOL_RETURN = 2
    AGENT = 3
    USER = 4


NODE_TYPES = ("prompt", "tool_call", "tool_return", "response")
DEFAULT_MAX_NODES = 256

_EXTERNAL_TOOL = re.compile(
    r"web|http|url|fetch|brows|crawl|scrap|search|google|bing|duckduck|e-?mail|mail|inbox|"
    r"imap|smtp|rss|feed|download|webpage|page|site|slack|discord|teams|tweet|twitter|reddit|"
    r"news|wiki|github|jira|calendar|drive|dropbox|s3|remote|request|api_call|curl|wget|"
    r"read_url|document|pdf|message",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?|ftp)://", re.IGNORECASE)


def iso_time(ts: float) -> str:
    """``ts`` (seconds since the epoch) as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def is_external_tool(tool_name: str | None, arguments: str | None = None) -> bool:
    """Whether a tool brings outside data in: its name says so, or its arguments hold a URL."""
    if tool_name and _EXTERNAL_TOOL.search(tool_name):
        return True
    return bool(arguments and _URL.search(arguments))


@dataclass(frozen=True, slots=True)
class Node:
    """One scan in a session. ``text`` is kept only when the tenant stores prompts."""

    id: str
    seq: int
    type: str
    label: str
    trust: int
    parents: tuple[str, ...]
    verdict: str
    action: str
    time: float
    tainted: bool = False
    taint_depth: int = 0
    external: bool = False
    tool: str | None = None
    min_trust: int | None = None
    violation: bool = False
    patterns: tuple[str, ...] = ()
    text: str | None = None

    def public(self) -> dict[str, Any]:
        """The node as ``GET /session/{id}`` shows it."""
        out: dict[str, Any] = {
            "id": self.id, "type": self.type, "label": self.label, "trust": self.trust,
            "parents": list(self.parents), "verdict": self.verdict, "action": self.action,
            "time": iso_time(self.time), "tainted": self.tainted, "taint_depth": self.taint_depth,
            "tool": self.tool, "min_trust": self.min_trust,
            "provenance_violation": self.violation, "patterns_matched": list(self.patterns),
        }
        if self.text is not None:
            out["text"] = self.text
        return out


@dataclass(frozen=True, slots=True)
class Summary:
    """What is left of nodes folded away to bound the graph."""

    count: int = 0
    upto_seq: int = 0
    min_trust: int = int(Trust.USER)
    tainted: bool = False
    taint_depth: int = 0
    first_time: float | None = None
    last_time: float | None = None
    verdicts: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)

    def absorb(self, node: Node) -> Summary:
        verdicts = dict(self.verdicts)
        verdicts[node.verdict] = verdicts.get(node.verdict, 0) + 1
        types = dict(self.types)
        types[node.type] = types.get(node.type, 0) + 1
        return Summary(
            count=self.count + 1,
            upto_seq=max(self.upto_seq, node.seq),
            min_trust=min(self.min_trust, node.trust),
            tainted=self.tainted or node.tainted,
            taint_depth=max(self.taint_depth, node.taint_depth),
            first_time=node.time if self.first_time is None else min(self.first_time, node.time),
            last_time=node.time if self.last_time is None else max(self.last_time, node.time),
            verdicts=verdicts,
            types=types,
        )


@dataclass(frozen=True, slots=True)
class SessionGraph:
    """A session: its nodes (oldest first), the summary of folded nodes, and timestamps."""

    session_id: str
    tenant_id: str
    created_at: float
    updated_at: float
    seq: int = 0
    nodes: tuple[Node, ...] = ()
    summary: Summary | None = None

    @classmethod
    def new(cls, tenant_id: str, session_id: str, now: float) -> SessionGraph:
        return cls(session_id=session_id, tenant_id=tenant_id, created_at=now, updated_at=now)

    @property
    def node_count(self) -> int:
        """All nodes ever added, folded ones included."""
        return self.seq

    @property
    def taint_depth(self) -> int:
        depth = self.summary.taint_depth if self.summary else 0
        return max([depth, *(n.taint_depth for n in self.nodes)])

    def node(self, node_id: str) -> Node | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    # --- (de)serialisation, for the stores ------------------------------------------------
    # Nodes are stored as rows (lists in ``fields`` order): half the size of objects, and the
    # Redis store reads and writes the whole graph on every scan.
    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id, "tenant_id": self.tenant_id,
            "created_at": self.created_at, "updated_at": self.updated_at, "seq": self.seq,
            "fields": list(_NODE_FIELDS),
            "nodes": [_node_row(n) for n in self.nodes],
            "summary": asdict(self.summary) if self.summary is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionGraph:
        fields = data.get("fields")
        if fields is not None and tuple(fields) != _NODE_FIELDS:
            # Written by another version: map rows by name, ignore fields this one lacks.
            rows = [{k: v for k, v in zip(fields, row, strict=False) if k in _NODE_FIELDS}
                    for row in data.get("nodes", ())]
        else:
            rows = data.get("nodes", ())
        nodes = tuple(_node_from_row(row) for row in rows)
        summary = data.get("summary")
        return cls(
            session_id=data["session_id"],
            tenant_id=data["tenant_id"],
            created_at=float(data["created_at"]),
            updated_at=float(data["updated_at"]),
            seq=int(data.get("seq", len(nodes))),
            nodes=nodes,
            summary=Summary(**summary) if summary else None,
        )


_NODE_FIELDS = tuple(Node.__dataclass_fields__)


def _node_row(node: Node) -> list[Any]:
    return [getattr(node, name) for name in _NODE_FIELDS]


_PARENTS = _NODE_FIELDS.index("parents")
_PATTERNS = _NODE_FIELDS.index("patterns")


def _node_from_row(row: list[Any] | dict[str, Any]) -> Node:
    if isinstance(row, list) and len(row) == len(_NODE_FIELDS):
        row = list(row)
        row[_PARENTS] = tuple(row[_PARENTS])
        row[_PATTERNS] = tuple(row[_PATTERNS])
        return Node(*row)
    data = dict(zip(_NODE_FIELDS, row, strict=False)) if isinstance(row, list) else dict(row)
    data["parents"] = tuple(data.get("parents", ()))
    data["patterns"] = tuple(data.get("patterns", ()))
    return Node(**data)


@dataclass(frozen=True, slots=True)
class Labelling:
    """The provenance decision for a new node."""

    label: str
    trust: int
    tainted: bool
    taint_depth: int
    external: bool
    violation: bool
    reasons: tuple[str, ...]

    @property
    def violation_reason(self) -> str | None:
        return "; ".join(self.reasons) if self.violation else None


def _parse_seq(node_id: str) -> int | None:
    m = re.match(r"^n(\d+)-", node_id)
    return int(m.group(1)) if m else None


def label_node(
    graph: SessionGraph | None,
    *,
    node_type: str,
    parents: list[str] | tuple[str, ...],
    malicious: bool,
    tool_name: str | None = None,
    arguments: str | None = None,
    min_trust: int | None = None,
    override: str | None = None,
    allow_override: bool = False,
) -> Labelling:
    """Decide the label, trust, taint and capability-gate outcome of a new node."""
    if node_type not in NODE_TYPES:
        raise ValueError(f"unknown node type {node_type!r}")
    reasons: list[str] = []
    parent_trust: list[int] = []
    parent_taint_depths: list[int] = []
    parent_external = False
    unknown = 0
    for pid in dict.fromkeys(parents):
        node = graph.node(pid) if graph else None
        if node is not None:
            parent_trust.append(node.trust)
            if node.tainted:
                parent_taint_depths.append(node.taint_depth)
            parent_external = parent_external or (node.type == "tool_call" and node.external)
            continue
        seq = _parse_seq(pid)
        summary = graph.summary if graph else None
        if summary is not None and seq is not None and seq <= summary.upto_seq:
            parent_trust.append(summary.min_trust)
            if summary.tainted:
                parent_taint_depths.append(summary.taint_depth)
        else:
            unknown += 1
            parent_trust.append(int(Trust.EXTERNAL))
    if unknown:
        reasons.append(f"{unknown} unknown source node(s) counted as EXTERNAL")

    external = False
    if node_type == "prompt":
        trust = int(Trust.USER)
    elif node_type == "tool_call":
        external = is_external_tool(tool_name, arguments)
        trust = min(parent_trust) if parent_trust else int(Trust.AGENT)
    elif node_type == "tool_return":
        external = parent_external or is_external_tool(tool_name)
        base = Trust.EXTERNAL if external else Trust.TOOL_RETURN
        trust = min([int(base), *parent_trust])
        if external:
            reasons.append(f"tool {tool_name or '?'} returns outside data")
    else:  # response
        trust = min([int(Trust.AGENT), *parent_trust])

    if override is not None:
        wanted = int(Trust[override])
        if allow_override or wanted <= trust:
            trust = wanted
        else:
            reasons.append(f"label override {override} ignored: it would raise trust")

    tainted = bool(parent_taint_depths)
    taint_depth = max(parent_taint_depths) + 1 if tainted else 0
    if malicious and node_type != "prompt":
        tainted, taint_depth = True, max(taint_depth, 1)
        trust = int(Trust.EXTERNAL)
        reasons.append(f"this {node_type} was judged malicious")
    elif tainted and trust > Trust.DERIVED:
        trust = int(Trust.DERIVED)
        reasons.append("derived from a node judged malicious")

    violation = False
    if node_type == "tool_call" and min_trust is not None and trust < min_trust:
        violation = True
        reasons.insert(0, f"tool {tool_name or '?'} requires trust {min_trust} "
                          f"({Trust(min_trust).name}); its inputs have trust {trust} "
                          f"({Trust(trust).name})")
    return Labelling(
        label=Trust(trust).name, trust=trust, tainted=tainted, taint_depth=taint_depth,
        external=external, violation=violation, reasons=tuple(reasons),
    )


def new_node_id(seq: int) -> str:
    return f"n{seq}-{secrets.token_hex(4)}"


def append(graph: SessionGraph, node: Node, *, now: float,
           max_nodes: int = DEFAULT_MAX_NODES) -> SessionGraph:
    """``graph`` with ``node`` added, the oldest nodes folded into the summary beyond
    ``max_nodes``."""
    nodes = graph.nodes + (node,)
    summary = graph.summary
    if len(nodes) > max_nodes:
        cut = len(nodes) - max_nodes
        summary = summary or Summary()
        for old in nodes[:cut]:
            summary = summary.absorb(old)
        nodes = nodes[cut:]
    return replace(graph, nodes=nodes, summary=summary, seq=max(graph.seq, node.seq),
                   updated_at=now)
