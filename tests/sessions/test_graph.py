"""The provenance graph's pure rules: labels, min over parents, taint, the gate, bounds."""

from __future__ import annotations

import pytest

from promptsentry.sessions.graph import (
    Node,
    SessionGraph,
    Trust,
    append,
    is_external_tool,
    label_node,
    new_node_id,
)


class Builder:
    """Adds nodes to a graph the way the API does."""

    def __init__(self, max_nodes: int = 256) -> None:
        self.graph = SessionGraph.new("t", "s", 0.0)
        self.max_nodes = max_nodes

    def add(self, node_type: str, parents: list[str] = (), *, malicious: bool = False,
            **kw) -> Node:
        d = label_node(self.graph, node_type=node_type, parents=list(parents),
                       malicious=malicious, **kw)
        seq = self.graph.seq + 1
        node = Node(id=new_node_id(seq), seq=seq, type=node_type, label=d.label, trust=d.trust,
                    parents=tuple(parents), verdict="malicious" if malicious else "clean",
                    action="allowed", time=float(seq), tainted=d.tainted,
                    taint_depth=d.taint_depth, external=d.external, violation=d.violation,
                    tool=kw.get("tool_name"))
        self.graph = append(self.graph, node, now=float(seq), max_nodes=self.max_nodes)
        return node


def test_automatic_labels() -> None:
    b = Builder()
    p = b.add("prompt")
    assert p.label == "USER" and p.trust == 4
    call = b.add("tool_call", [p.id], tool_name="calc")
    assert call.label == "USER"                       # inputs straight from the user
    ret = b.add("tool_return", [call.id], tool_name="calc")
    assert ret.label == "TOOL_RETURN"
    resp = b.add("response", [p.id, call.id, ret.id])
    assert resp.label == "TOOL_RETURN"                # lowest trust of its parents
    alone = b.add("response")
    assert alone.label == "AGENT"
    lone_call = b.add("tool_call", tool_name="calc")
    assert lone_call.label == "AGENT"
    # A new user turn is USER again, whatever it follows.
    assert b.add("prompt", [resp.id]).label == "USER"


@pytest.mark.parametrize(("tool", "args", "external"), [
    ("fetch_url", None, True), ("web_search", None, True), ("read_email", None, True),
    ("browser.open", None, True), ("calc", None, False), ("read_file", None, False),
    ("run_sql", '{"q": "select 1"}', False), ("call", '{"u": "https://x.io"}', True),
])
def test_external_tools(tool: str, args: str | None, external: bool) -> None:
    assert is_external_tool(tool, args) is external


def test_tool_return_of_external_tool_is_external() -> None:
    b = Builder()
    p = b.add("prompt")
    call = b.add("tool_call", [p.id], tool_name="http_get", arguments='{"url": "https://x"}')
    assert call.external and call.label == "USER"
    # Named neutrally, but its call fetched a URL: the return is outside data.
    ret = b.add("tool_return", [call.id], tool_name="tool_42")
    assert ret.label == "EXTERNAL" and ret.trust == Trust.EXTERNAL
    assert b.add("tool_return", [], tool_name="search_web").label == "EXTERNAL"


def test_capability_gate() -> None:
    b = Builder()
    p = b.add("prompt")
    assert not b.add("tool_call", [p.id], tool_name="pay", min_trust=4).violation
    ret = b.add("tool_return", [p.id], tool_name="calc")
    d = label_node(b.graph, node_type="tool_call", parents=[ret.id], malicious=False,
                   tool_name="pay", min_trust=4)
    assert d.violation and d.trust == 2
    assert "requires trust 4 (USER)" in d.violation_reason
    assert "trust 2 (TOOL_RETURN)" in d.violation_reason
    ok = label_node(b.graph, node_type="tool_call", parents=[ret.id], malicious=False,
                    tool_name="summarise", min_trust=2)
    assert not ok.violation and ok.violation_reason is None
    # Mixed parents: the lowest decides.
    mixed = label_node(b.graph, node_type="tool_call", parents=[p.id, ret.id], malicious=False,
                       min_trust=3)
    assert mixed.violation and mixed.label == "TOOL_RETURN"
    # min_trust only gates tool calls.
    assert not label_node(b.graph, node_type="response", parents=[ret.id], malicious=False,
                          min_trust=4).violation


def test_taint_spreads_to_descendants_only() -> None:
    b = Builder()
    p = b.add("prompt")
    call = b.add("tool_call", [p.id], tool_name="fetch")
    bad = b.add("tool_return", [call.id], tool_name="fetch", malicious=True)
    assert bad.tainted and bad.taint_depth == 1 and bad.label == "EXTERNAL"
    clean_branch = b.add("tool_return", [call.id], tool_name="calc")
    assert not clean_branch.tainted
    child = b.add("response", [p.id, bad.id])
    assert child.tainted and child.taint_depth == 2 and child.label == "EXTERNAL"
    # A user turn after it keeps its own label, but the taint still travels with the data.
    nxt = b.add("prompt", [child.id])
    assert nxt.label == "DERIVED" and nxt.tainted and nxt.taint_depth == 3
    call2 = b.add("tool_call", [nxt.id], tool_name="pay", min_trust=4)
    assert call2.violation and call2.label == "DERIVED" and call2.taint_depth == 4
    assert b.graph.taint_depth == 4


def test_malicious_user_prompt_does_not_taint() -> None:
    b = Builder()
    p = b.add("prompt", malicious=True)
    assert p.label == "USER" and not p.tainted


def test_overrides() -> None:
    b = Builder()
    ret = b.add("tool_return", tool_name="calc")
    raised = label_node(b.graph, node_type="tool_call", parents=[ret.id], malicious=False,
                        override="USER")
    assert raised.label == "TOOL_RETURN"
    assert any("ignored" in r for r in raised.reasons)
    allowed = label_node(b.graph, node_type="tool_call", parents=[ret.id], malicious=False,
                         override="USER", allow_override=True)
    assert allowed.label == "USER"
    lowered = label_node(b.graph, node_type="prompt", parents=[], malicious=False,
                         override="EXTERNAL")
    assert lowered.label == "EXTERNAL"
    with pytest.raises(KeyError):
        label_node(b.graph, node_type="prompt", parents=[], malicious=False, override="ROOT")
    with pytest.raises(ValueError):
        label_node(b.graph, node_type="banana", parents=[], malicious=False)


def test_bounded_size_folds_oldest_into_summary() -> None:
    b = Builder(max_nodes=8)
    first = b.add("prompt")
    bad = b.add("tool_return", [first.id], tool_name="fetch", malicious=True)
    ids = [first.id, bad.id]
    for _ in range(30):
        ids.append(b.add("prompt").id)
    g = b.graph
    assert len(g.nodes) == 8 and g.node_count == 32
    assert g.summary is not None and g.summary.count == 24
    assert g.summary.min_trust == Trust.EXTERNAL and g.summary.tainted
    assert g.summary.verdicts == {"clean": 23, "malicious": 1}
    assert [n.id for n in g.nodes] == ids[-8:]
    assert g.taint_depth == 1
    # A parent folded into the summary counts with the summary's lowest trust and taint.
    d = label_node(g, node_type="tool_call", parents=[ids[2]], malicious=False, min_trust=3)
    assert d.violation and d.tainted and d.label == "EXTERNAL"
    assert not any("unknown" in r for r in d.reasons)


def test_serialisation_round_trip() -> None:
    b = Builder(max_nodes=2)
    for _ in range(4):
        b.add("prompt")
    g = b.graph
    assert SessionGraph.from_dict(g.to_dict()) == g


def test_deserialises_rows_written_by_another_version() -> None:
    b = Builder()
    b.add("prompt")
    b.add("tool_return", tool_name="calc", malicious=True)
    g = b.graph
    data = g.to_dict()
    # Another version ordered its fields differently and had one this version lacks.
    data["fields"] = [*reversed(data["fields"]), "future_field"]
    data["nodes"] = [[*reversed(row), "x"] for row in data["nodes"]]
    assert SessionGraph.from_dict(data) == g
