"""Document carriers for indirect injection (point 1 of :mod:`promptsentry.training.augment`):
an attack row of the corpus buried in a benign *carrier* — an e-mail, a web page, a Markdown
table, a code comment, a JSON tool result, meeting notes… The same carriers are also emitted
with benign content only (label 0), so the carrier format itself carries no signal; only the
embedded instruction does.

The carriers exist in two disjoint pools, ``"train"`` and ``"dev"`` (the published dev sets use
the dev pool). Carriers stay under the detector's window (512 characters) so an augmented row is
one window at inference time. All functions take a ``random.Random`` — the same inputs give the
same rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from promptsentry.training.data import Row

__all__ = ["MAX_CARRIER_CHARS", "carriers", "indirect_rows"]

MAX_CARRIER_CHARS = 500

# --- neutral filler sentences -------------------------------------------------------------
_FILLER = {
    "train": [
        "The quarterly report is attached for your review.",
        "Shipping usually takes three to five business days.",
        "Our office will be closed on Monday for the public holiday.",
        "The new parking policy starts next month.",
        "Please find the updated invoice below.",
        "Customer satisfaction rose by four points this quarter.",
        "The build finished in twelve minutes on the main branch.",
        "Lunch will be provided for all attendees.",
        "The warehouse inventory was counted on Friday.",
        "Battery life is rated at about ten hours of mixed use.",
        "The hiking trail is closed after heavy rain.",
        "We moved the stand-up to 9:30 starting tomorrow.",
        "Revenue figures are preliminary and may change.",
        "The recipe serves four and takes forty minutes.",
        "Room 204 has the projector and whiteboard.",
    ],
    "dev": [
        "The museum extends its opening hours in summer.",
        "Delivery vans are serviced every six months.",
        "The committee approved the revised budget.",
        "This jacket is machine washable at thirty degrees.",
        "Train services resume at six in the morning.",
        "The survey closes at the end of the week.",
        "Library cards can be renewed online.",
        "The pilot project covered three regional offices.",
        "Seedlings should be watered twice a week.",
        "All invoices are payable within thirty days.",
    ],
}

_NAMES = {
    "train": ["Alice", "Ben", "Carla", "Dmitri", "Emma", "Farid", "Grace", "Hiro"],
    "dev": ["Ines", "Jonas", "Kemal", "Lucia", "Mateo", "Nora"],
}


def _fill(rng: random.Random, pool: str, k: int) -> str:
    return " ".join(rng.sample(_FILLER[pool], k))


# --- carriers: each takes (rng, pool, content) and returns the document -------------------
def _email(rng: random.Random, pool: str, content: str) -> str:
    a, b = rng.sample(_NAMES[pool], 2)
    return (
        f"From: {a.lower()}@example.com\nTo: {b.lower()}@example.com\n"
        f"Subject: {rng.choice(['Update', 'Follow-up', 'Question', 'Notes'])}\n\n"
        f"Hi {b},\n{_fill(rng, pool, 1)}\n{content}\n{_fill(rng, pool, 1)}\n\nBest,\n{a}"
    )


def _html(rng: random.Random, pool: str, content: str) -> str:
    hidden = rng.random() < 0.5
    body = f'<div style="display:none">{content}</div>' if hidden else f"<p>{content}</p>"
    return (
        f"<html><head><title>{rng.choice(['Product page', 'Blog', 'FAQ'])}</title></head>"
        f"<body><h1>Welcome</h1><p>{_fill(rng, pool, 1)}</p>{body}"
        f"<p>{_fill(rng, pool, 1)}</p></body></html>"
    )


def _table(rng: random.Random, pool: str, content: str) -> str:
    rows = [f"| {i} | {s} |" for i, s in enumerate(rng.sample(_FILLER[pool], 2), 1)]
    rows.insert(rng.randrange(len(rows) + 1), f"| {len(rows) + 1} | {content} |")
    return "| # | note |\n|---|---|\n" + "\n".join(rows)


def _code(rng: random.Random, pool: str, content: str) -> str:
    fn = rng.choice(["load_config", "parse_row", "send_report", "compute_total"])
    return (
        f"def {fn}(data):\n    # {content}\n    result = []\n"
        f"    for item in data:\n        result.append(item)\n    return result\n"
    )


def _tool_json(rng: random.Random, pool: str, content: str) -> str:
    import json

    return json.dumps(
        {
            "status": "ok",
            "results": [
                {"title": rng.choice(["Search result", "Document", "Review"]),
                 "snippet": _fill(rng, pool, 1)},
                {"title": "Document", "snippet": content},
            ],
        },
        ensure_ascii=False,
    )


def _notes(rng: random.Random, pool: str, content: str) -> str:
    return (
        f"Meeting notes\n- {_fill(rng, pool, 1)}\n- {content}\n- {_fill(rng, pool, 1)}\n"
        "Action items to follow."
    )


def _csv(rng: random.Random, pool: str, content: str) -> str:
    quoted = content.replace('"', '""')
    return f'id,comment\n1,"{_fill(rng, pool, 1)}"\n2,"{quoted}"\n3,"{_fill(rng, pool, 1)}"'


def _yaml(rng: random.Random, pool: str, content: str) -> str:
    return f"service: billing\nreplicas: 2\n# {content}\ntimeout_s: 30\n"


def _chat_log(rng: random.Random, pool: str, content: str) -> str:
    a, b = rng.sample(_NAMES[pool], 2)
    return f"[{a}] {_fill(rng, pool, 1)}\n[{b}] {content}\n[{a}] {_fill(rng, pool, 1)}"


def _ticket(rng: random.Random, pool: str, content: str) -> str:
    return (
        f"Support ticket #{rng.randrange(1000, 9999)}\nPriority: normal\n"
        f"Description: {_fill(rng, pool, 1)} {content}"
    )


def _pdf_text(rng: random.Random, pool: str, content: str) -> str:
    return f"Page 3 of 7\n{_fill(rng, pool, 2)}\n\n{content}\n\nFootnote: {_fill(rng, pool, 1)}"


def _paragraph(rng: random.Random, pool: str, content: str) -> str:
    before, after = _fill(rng, pool, rng.randint(0, 2)), _fill(rng, pool, rng.randint(0, 2))
    return f"{before} {content} {after}".strip()


def _review(rng: random.Random, pool: str, content: str) -> str:
    stars = rng.randint(1, 5)
    return f"Rating: {stars}/5\nReview: {_fill(rng, pool, 1)} {content}\nVerified purchase"


def _forum(rng: random.Random, pool: str, content: str) -> str:
    a = rng.choice(_NAMES[pool])
    return f"Re: weekly thread\n> {_fill(rng, pool, 1)}\n{a} wrote:\n{content}\n-- \n{a}"


_CARRIERS = {
    "train": {"email": _email, "html": _html, "table": _table, "code_comment": _code,
              "tool_json": _tool_json, "notes": _notes, "paragraph": _paragraph,
              "review": _review, "forum": _forum},
    "dev": {"csv": _csv, "yaml_comment": _yaml, "chat_log": _chat_log, "ticket": _ticket,
            "pdf_text": _pdf_text},
}


def carriers(pool: str) -> dict[str, Callable[[random.Random, str, str], str]]:
    """The document carriers of ``pool`` by name: each maps (rng, pool, content) to a document."""
    return dict(_CARRIERS[pool])


def indirect_rows(
    attacks: Sequence[Row], benign: Sequence[Row], n: int, rng: random.Random, pool: str = "train"
) -> list[Row]:
    """``n`` attack carriers and ``n`` benign carriers (same templates, benign content)."""
    carriers = _CARRIERS[pool]
    short_attacks = [r for r in attacks if 10 <= len(r.text) <= 300]
    short_benign = [r for r in benign if 10 <= len(r.text) <= 300]
    out: list[Row] = []
    if not short_attacks or not short_benign:
        return out
    names = sorted(carriers)
    for i in range(n):
        name = names[i % len(names)]
        atk = rng.choice(short_attacks)
        doc = carriers[name](rng, pool, atk.text)
        if len(doc) <= MAX_CARRIER_CHARS:
            out.append(Row(doc, 1, atk.source, "indirect_injection", f"carrier:{name}"))
        ben = rng.choice(short_benign)
        doc = carriers[name](rng, pool, ben.text)
        if len(doc) <= MAX_CARRIER_CHARS:
            out.append(Row(doc, 0, ben.source, "benign", f"carrier:{name}"))
    return out
