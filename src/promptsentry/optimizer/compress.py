"""Deterministic prompt compression for the ``conciseness`` and ``token_efficiency`` goals.

Three levels, each including the one before:

=============  ===============================================================================
level          rewrites (free text only — protected spans never change)
=============  ===============================================================================
1 plain        pleasantries, hedges and meta-talk ("I want you to act as" → "Act as",
               "it is important to note that" → "", "Please make sure that you include" →
               "Include"), shared-prompt scaffolding ("My first request is" → "First
               request:", a sentence-opening "I will provide you with" → "Input:"), wordy
               phrases ("in order to" → "to", "due to the fact that" → "because"), markdown
               emphasis and emoji
2 compact      modal openers ("You should …", "Your task is to …"; "Your task is to:" →
               "Task:"), "that" after reporting verbs, "there is", stock phrases ("in other
               words" → "i.e.,", "the following" → "this"/"these"), repeated lines
3 telegraphic  articles, "You are" / "you" openers, "your", ", and" in lists, "will" before
               a verb, "also"/"just", heading markers, rule lines, table rule widths; a prompt
               that is one JSON document is compacted instead (:func:`compact_json`: layout
               only, same value, strings verbatim)
=============  ===============================================================================

:func:`compress` rewrites a text line by line (a fenced code block is never touched) at the
most aggressive level allowed, then checks every changed line against its original with the
sentence encoder; a line whose similarity falls below the floor backs off to the next lower
level, down to unchanged. A final whole-text check (similarity floor) backs everything off to
level 1 and then to the original if it fails. Same input, same output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from promptsentry.optimizer.similarity import (
    Embedder,
    default_embedder,
    lexical_similarity,
    similarity,
    unit_similarities,
)
from promptsentry.optimizer.spans import find_spans, segments

__all__ = ["LEVEL_NAMES", "Compression", "compress", "rewrite_line", "tidy"]

LEVEL_NAMES = ("unchanged", "plain", "compact", "telegraphic")

Rule = tuple[re.Pattern[str], str]


def _rules(flags: int, *pairs: tuple[str, str]) -> list[Rule]:
    return [(re.compile(p, flags), r) for p, r in pairs]


_I = re.IGNORECASE
_START = r"(?:(?<=^)|(?<=[.!?:]\s)|(?<=^[-*•>]\s)|(?<=^\d\.\s)|(?<=\*\*\s))"
_TIME_NOUNS = (r"(?:day|week|month|year|morning|night|evening|afternoon|time|season|weekend"
               r"|decade|century|summer|winter|spring|autumn|fall|hour|minute)s?\b")
_CLAUSE = _START[:-1] + r"|(?<=\band\s)|(?<=,\s))"  # a sentence, or an "and"/comma clause

# Level 1: pleasantries, hedges, meta-talk, wordy phrases, emphasis.
_PLAIN: list[Rule] = _rules(
    _I,
    (r"^[ \t]*(?:hi|hello|hey|dear)\b(?: there| chatgpt| claude| assistant)?[!,.]?[ \t]*(?=\S|$)",
     ""),
    (r"\b(?:i hope (?:you're|you are) (?:doing )?well|i hope this finds you well)[.!]*", ""),
    (r"\b(?:thanks|thank you)(?: (?:so|very) much| a lot)?(?: in advance)?"
     r"(?: for (?:your|the) help)?[.!]*", ""),
    (r"\bany help (?:would be|is) (?:greatly |much )?appreciated[.!]*", ""),
    (r"\bi was wondering if you could\s+", ""),
    # a request opener only where a sentence (or an "and"/comma clause) starts: inside a
    # question ("What would you like…", "How would you rate…") it carries the meaning
    (_CLAUSE + r"(?:could|can|would|will) you (?:please )?(?:kindly )?(?:help me )?", ""),
    (r"\bi(?:'d| would) (?:really )?like (?:you )?to\s+", ""),
    (r"\bi (?:want|need) you to\s+", ""),
    # "My first request is "…"" → "First request: "…"" (the awesome-chatgpt-prompts closer)
    (_START + r"my (first|next|initial) ((?:[a-z]+ ){0,2}?(?:request|command|question|sentence|prompt"
     r"|suggestion|task|topic|word|statement|query|message|input|move|problem|idea|step"
     r"|scenario|text|poem|essay|song|story|line|code|job))(?: for you)? (?:is|will be)\b:?",
     r"\1 \2:"),
    # "I will provide you with X" → "Input: X" (only at a sentence start, and not when the
    # sentence makes it conditional or timed: "I will give you a hint if you are stuck")
    (_START + r"i(?: will|'ll) (?:provide|give|send|supply|paste)(?: you)?(?: with)?"
     r"(?= (?:a|an|the|some|my|your|this|these|several|[a-z]+s)\b)"
     r"(?![^.!?\n]*\b(?:if|when|whenever|unless|once|after|before|until|later|only)\b)\s+",
     "Input: "),
    (r"\bplease\b,?[ \t]*", ""),
    (r"\b(?:pls|plz|thx)\b[,.!]?[ \t]*", ""),
    (r"\bkindly\s+", ""),
    (_START + r"(?:make sure|be sure|ensure)(?: that)? you\s+"
     r"(?!(?:are|were|is|have|had|do|did|can|could|will|would|should|may|might|must|get"
     r"|don't|cannot|never|not)\b)(?=[a-z])", ""),
    (r"\bit is (?:very |really |extremely )?(?:important|crucial|essential|vital) "
     r"(?:to (?:note|remember) )?that(?: you)?\s+", ""),
    (r"\bit(?: is|'s) (?:very |really |extremely )?(?:important|crucial|essential|vital) "
     r"(?:for you )?to\s+", ""),
    (r"\b(?:it should be noted|it is worth (?:noting|mentioning)|(?:please )?note|keep in mind"
     r"|bear in mind|remember|be aware) that\s+", ""),
    (r"\b(?:make sure|be sure) to\s+", ""),
    (r"\b(?:make sure|be sure|ensure)(?: that)?\s+(?=\w)", "ensure "),
    (r"\bin order (?:to|for)\b", "to"),
    (r"\bso as to\b", "to"),
    (r"\bdue to the fact that\b|\bowing to the fact that\b|\bgiven the fact that\b", "because"),
    (r"\bin spite of the fact that\b|\bdespite the fact that\b", "although"),
    (r"\bat this point in time\b|\bat the present time\b|\bat this moment in time\b", "now"),
    (r"\bfor the purpose of\b|\bwith the (?:aim|goal|purpose) of\b", "for"),
    (r"\bin the event that\b|\bin case that\b", "if"),
    (r"\bwith (?:regards?|respect) to\b|\bin regards? to\b|\bin relation to\b", "about"),
    (r"\bas well as\b", "and"),
    (r"\ba (?:large|great|huge) (?:number|amount) of\b|\ba lot of\b|\blots of\b", "many"),
    (r"\ba (?:wide )?(?:variety|range) of\b", "various"),
    (r"\ba number of\b", "several"),
    (r"\bthe majority of\b", "most"),
    (r"\b(?:has|have) the (?:ability|capacity) to\b|\bis (?:able|capable of)\b(?= to)", "can"),
    (r"\bare able to\b", "can"),
    (r"\bis able to\b", "can"),
    (r"\bin terms of\b", "in"),
    (r"\bon a (daily|weekly|monthly|regular) basis\b", r"\1"),
    (r"\bat all times\b", "always"),
    (r"\beach and every\b", "every"),
    (r"\bfirst and foremost\b", "first"),
    (r"\bin the case of\b", "for"),
    (r"\btake into (?:account|consideration)\b", "consider"),
    (r"\bcome up with\b", "devise"),
    (r"\bis responsible for\b", "handles"),
    (r"\bare responsible for\b", "handle"),
    (r"\bin such a way that\b|\bin a way that\b", "so"),
    (r"\bprior to\b", "before"),
    (r"\bsubsequent to\b", "after"),
    (r"\bwhether or not\b", "whether"),
    (r"\bin the form of\b", "as"),
    (r"\bin a (clear|concise|detailed|structured|professional|friendly|timely|consistent)"
     r" (?:manner|way|fashion)\b", r"\1ly"),
    (r"\bin the same way\b", "likewise"),
    (r"\bas (?:soon|quickly) as possible\b", "promptly"),
    (r"\bup to date\b", "current"),
    (r"\b(?:basically|actually|really|very|quite|simply|literally|totally|truly|definitely"
     r"|certainly|essentially|extremely|highly|incredibly|deeply|genuinely|absolutely)"
     r"\s+(?=\w)", ""),
    (r"[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2705\u274C]\uFE0F?[ \t]?", ""),
)
# Level 2: articles, modal openers, complementiser "that", stock phrases.
_COMPACT: list[Rule] = _rules(
    _I,
    (_START + r"(?:your|the) (?:main |primary |core |overall )?((?:task|job|goal|role|mission"
     r"|objective|purpose)s?) (?:is|are|will be) (?:to|as follows)[ \t]*:", r"\1:"),
    (_START + r"(?:your|the) (?:main |primary |core |key )?(responsibilities|duties|tasks|goals"
     r"|objectives)(?: will)? (?:include|includes|are|will be)[ \t]*:", r"\1:"),
    (_START + r"(?:your|the) (?:main |primary |core |overall )?(?:task|job|goal|role|mission"
     r"|objective|purpose) (?:is|will be) to\s+", ""),
    (_START + r"you (?:are|will be) (?:tasked with|asked to|expected to|required to)\s+", ""),
    (_START + r"you (?:should|will|need to|have to|must) (?=[a-z])", ""),
    (_START + r"(?:we|i) (?:want|need|would like) (?:you )?to\s+", ""),
    (r"\b(ensure|ensuring|say|says|states?|means?|verify|check|confirm|note|assume)"
     r" that\b", r"\1"),
    (r"\bthere (?:is|are) (?=\w)", ""),
    (r"\bthat is to say\b,?|\bin other words\b,?", "i.e.,"),
    (r"\band so on\b|\band so forth\b", "etc."),
    (r"\bin addition(?: to this)?\b,?\s*|\badditionally\b,?\s*|\bfurthermore\b,?\s*"
     r"|\bmoreover\b,?\s*", "also "),
    # "the following X" points at what comes next: keep the pointer, in one token
    # ("the following day" is a time, not a pointer: it stays)
    (r"\bthe following(?! " + _TIME_NOUNS + r")(?= [a-z]+s\b(?<!ss)(?<!is)(?<!us))", "these"),
    (r"\bthe following\b(?! " + _TIME_NOUNS + r")", "this"),
    (r"\bin (?:your|the) (?:response|answer|output|reply)\b", ""),
    (r"\b(?:which|that|who) (?:is|are) (?=\w+(?:ed|ing|ble)\b)", ""),
)
# Level 3: telegraphic — low-information function words where the meaning survives.
_TELEGRAPHIC: list[Rule] = _rules(
    _I,
    (_START + r"you(?:'re| are) (?=\w)", ""),
    (r"\b(?:the|a|an)\s+(?=[\w(\"'`{$\[“]|$)", ""),
    (_START + r"you (?!(?:will|can|should|must|may|might|would|could|are|were|have|had|do"
     r"|did|need|want)\b)(?=[a-z])", ""),
    (r"\byour\s+(?=\w)", ""),
    (r"\b(?:also|just|simply)\s+(?=\w)", ""),
    (r"\b(all|both|any|each|some|most|none) of\b(?= \w)", r"\1"),
    (r"\bthat (?=(?:you|we|i|they|it|he|she|users?) )", ""),
    (r",\s+and\s+(?=\w)", ", "),
    (r"\b(?:it|this) (?:is|will be) (?:important|necessary|essential|crucial) to\s+", ""),
    (r"\bwill (?=(?:have|need|receive|get|see|use|find|make|write|work|help|provide|act"
     r"|respond|create|analy[sz]e|review|generate|return|ask|answer)\b)", ""),
    (r"\bso that\b", "so"),
    (r"\band then\b", "then"),
    (r"^[ \t]*#{1,6}[ \t]+", ""),
) + _rules(
    re.MULTILINE,
    (r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$", ""),
)
_LEVEL_RULES: tuple[list[Rule], ...] = (_PLAIN, _COMPACT, _TELEGRAPHIC)


_CAP = "\x00"


def _sub(pattern: re.Pattern[str], repl: str, piece: str) -> tuple[str, int]:
    """``pattern.subn`` that keeps a capital: a replaced capitalised phrase gives a
    capitalised replacement, a deleted one capitalises the word that follows."""
    n = 0

    def fn(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        out = m.expand(repl)
        if m.group(0)[:1].isupper():
            return out[:1].upper() + out[1:] if out else _CAP
        return out

    new = pattern.sub(fn, piece)
    if _CAP in new:  # a marker left at the end of a piece is resolved by rewrite_line
        new = re.sub(_CAP + r"([ \t]*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), new)
        new = re.sub(_CAP + r"(?=[ \t]*[^\sa-z])", "", new)
    return new, n


def _resolve_caps(line: str) -> str:
    """Capitalise the word after a deleted sentence opening that ended a free piece (a
    negation such as "do not" may start the sentence now); other protected text is kept."""
    while _CAP in line:
        at = line.index(_CAP)
        line = line[:at] + line[at + 1:]
        m = re.compile(r"[ \t]*([a-z])").match(line, at)
        if m and _CAP not in line[at:m.end()]:
            i = m.start(1)
            if not any(s.start <= i < s.end and s.kind != "negation" for s in find_spans(line)):
                line = line[:i] + line[i].upper() + line[i + 1:]
    return line


def _apply(piece: str, rules: Iterable[Rule], hits: set[str]) -> str:
    for pattern, repl in rules:
        new, n = _sub(pattern, repl, piece)
        if n:
            hits.add(pattern.pattern)
            piece = new
    return piece


def tidy(piece: str) -> str:
    """Normalise the spacing and punctuation a rewrite of a free piece leaves behind.

    Runs of blanks inside a line become one (indentation is kept), blanks before punctuation
    go, doubled ``,;:`` collapse, a comma or semicolon left at the start of a line goes,
    trailing blanks and more than one empty line go. ``piece`` may start mid-line (after a
    protected span), so nothing here anchors on the start of ``piece`` itself.
    """
    piece = re.sub(r"(?<=\S)[ \t]{2,}", " ", piece)
    piece = re.sub(r"[ \t]+([,.;:!?])(?=\s|$)", r"\1", piece)
    piece = re.sub(r"([,;:]){2,}", r"\1", piece)
    piece = re.sub(r"(?<=\n)[ \t]*[,;][ \t]*", "", piece)
    piece = re.sub(r"[ \t]+\n", "\n", piece)
    return re.sub(r"\n{3,}", "\n\n", piece)


_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from [\w.]+ import|>>>|\.\.\.|return\b|#include|function\b"
    r"|const |let |var |if \(|for \(|\w[\w.\[\]]*\s*[-+*/]?=[^=]|[}\])]|@\w)|[;{]\s*$")
_EMPHASIS = re.compile(r"\*\*(?=\S)([^*\n]{1,160}?)(?<=\S)\*\*|__(?=\S)([^_\n]{1,160}?)(?<=\S)__")


def _strip_emphasis(line: str) -> str:
    """Drop markdown bold markers whose both ends lie outside protected spans."""
    spans = find_spans(line)

    def free(i: int) -> bool:
        return not any(s.start <= i < s.end for s in spans)

    cuts = [(m.start(), m.end()) for m in _EMPHASIS.finditer(line)
            if free(m.start()) and free(m.end() - 1)]
    for a, b in reversed(cuts):
        line = line[:a] + line[a + 2:b - 2] + line[b:]
    return line


_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+(?:[ \t]*:?-{2,}:?[ \t]*)?$")


def rewrite_line(line: str, level: int, hits: set[str] | None = None) -> str:
    """``line`` rewritten at ``level`` (0–3); protected spans pass through unchanged.

    Lines that look like code (assignments, ``def``, ``return``, doctest prompts…) are left
    alone even outside a fenced block.
    """
    if level <= 0 or _CODE_LINE.search(line):
        return line
    hits = set() if hits is None else hits
    body, nl = (line[:-1], "\n") if line.endswith("\n") else (line, "")
    if level >= 3 and _TABLE_RULE.match(body):
        return re.sub(r"[ \t]*:?-{2,}:?[ \t]*", "-", body) + nl
    rules = [r for table in _LEVEL_RULES[:level] for r in table]
    out = "".join(piece if protected else tidy(_apply(piece, rules, hits))
                  for protected, piece in segments(_strip_emphasis(body)))
    return _capitalise_start(_resolve_caps(out), body) + nl


def _capitalise_start(new: str, old: str) -> str:
    """Re-capitalise the first letter of a line when the rewrite removed its opening word."""
    m = re.match(r"^([ \t]*(?:[-*•>][ \t]+|\d+[.)][ \t]+)?)([a-z])", new)
    o = re.match(r"^[ \t]*(?:[-*•>][ \t]+|\d+[.)][ \t]+)?([A-Za-z])", old)
    if not (m and o and o.group(1).isupper() and not new.startswith(old[: m.end()])):
        return new
    at = m.start(2)
    if any(s.start <= at < s.end and s.kind != "negation" for s in find_spans(new)):
        return new
    return new[:at] + new[at].upper() + new[at + 1:]


_FENCE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL)


def split_lines(text: str) -> list[tuple[bool, str]]:
    """``(editable, piece)`` pairs whose concatenation is ``text``: lines (with their
    newline) are editable, fenced code blocks are not."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in [*_FENCE.finditer(text), None]:
        chunk = text[pos:m.start()] if m else text[pos:]
        out.extend((True, line) for line in chunk.splitlines(keepends=True))
        if m:
            out.append((False, m.group()))
            pos = m.end()
    return out


def _dedupe(lines: list[str]) -> list[str]:
    """Blank out exact repeats (ignoring case and punctuation) of lines of 4+ words that hold
    no protected span (a repeated number or name must stay, as many times as it was)."""
    seen: set[str] = set()
    out = []
    for line in lines:
        key = re.sub(r"\W+", " ", line.lower()).strip()
        if key.count(" ") >= 3 and key in seen and not find_spans(line):
            out.append("")
            continue
        seen.add(key)
        out.append(line)
    return out


def compact_json(text: str) -> str | None:
    """``text`` as compact JSON when the whole of it is a JSON object or array, else ``None``.

    Only the whitespace between JSON tokens changes: indentation and blanks go, a line break
    stays between members (so each member stays a line of its own, which keeps the
    line-by-line similarity check meaningful) except after an opening or before a closing
    bracket. Every string, number and literal is copied character for character (escapes
    included), and the result must parse to the same value.
    """
    body = text.strip()
    if not body or body[0] not in "{[":
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c == '"':
            j = i + 1
            while j < n and body[j] != '"':
                j += 2 if body[j] == "\\" else 1
            out.append(body[i:j + 1])
            i = j + 1
        elif c in " \t\r\n":
            j = i
            while j < n and body[j] in " \t\r\n":
                j += 1
            if "\n" in body[i:j] and j < n and body[j] not in "]}" and out \
                    and out[-1] not in "[{":
                out.append("\n")
            i = j
        else:
            out.append(c)
            i += 1
    new = "".join(out)
    try:
        same = json.loads(new) == value
    except ValueError:
        same = False
    return new if same and new != body else None


@dataclass(slots=True)
class Compression:
    """What :func:`compress` did: the text, per-level line counts and the measured similarity."""

    text: str
    level_counts: dict[str, int] = field(default_factory=dict)
    rewrites: set[str] = field(default_factory=set)
    similarity: float = 1.0
    measure: str = "encoder"
    backed_off: str = ""


#: Similarity floors (encoder cosine) per level: (each changed line, the whole text). Level 1
#: only drops pleasantries and filler, which the encoder still reads as content on a short
#: prompt, so its floors are lower.
FLOORS: dict[int, tuple[float, float]] = {1: (0.80, 0.85), 2: (0.85, 0.90), 3: (0.85, 0.90)}


def _text_similarity(a: str, b: str, enc: Embedder | None) -> tuple[float, str]:
    """Whole-text similarity of ``a`` and ``b`` and the measure used (encoder or lexical)."""
    if enc is not None:
        return similarity(a, b, enc), "encoder"
    return lexical_similarity(a, b), "lexical"


def compress(text: str, max_level: int, *, embedder: Embedder | None = None) -> Compression:
    """Compress ``text`` at up to ``max_level`` (1–3), checking each line's meaning."""
    enc = embedder if embedder is not None else default_embedder()
    packed = compact_json(text) if max_level >= 3 else None
    if packed is not None:  # a JSON prompt: minify it, strings and numbers untouched
        sim, measure = _text_similarity(text, packed, enc)
        if sim >= FLOORS[3][1]:
            return Compression(packed, {LEVEL_NAMES[3]: 1}, {"compact_json"}, sim, measure)
    pieces = split_lines(text)
    editable = [i for i, (ok, p) in enumerate(pieces) if ok and p.strip()]
    originals = [pieces[i][1] for i in editable]
    chosen = list(originals)
    levels = [0] * len(editable)
    hits: set[str] = set()
    pending = list(range(len(editable)))
    for level in range(max_level, 0, -1):
        cands = {k: rewrite_line(originals[k], level, hits) for k in pending}
        pairs = [(originals[k].strip(), cands[k].strip()) for k in pending]
        sims = (unit_similarities(pairs, enc) if enc is not None
                else [lexical_similarity(a, b) for a, b in pairs])
        still = []
        line_floor = FLOORS[level][0]
        for k, sim in zip(pending, sims, strict=True):
            dropped = level == 1 and not cands[k].strip()  # a pleasantry-only line
            if sim >= line_floor or cands[k] == originals[k] or dropped:
                chosen[k], levels[k] = cands[k], level if cands[k] != originals[k] else 0
            else:
                still.append(k)
        pending = still
    if max_level >= 2:
        chosen = _dedupe(chosen)
    new = _assemble(pieces, editable, chosen)
    sim, measure = _text_similarity(text, new, enc)
    result = Compression(new, rewrites=hits, similarity=sim, measure=measure)
    text_floor = FLOORS[max_level][1]
    if result.similarity < text_floor and max_level > 1:
        fallback = compress(text, 1, embedder=embedder)
        fallback.backed_off = f"level {max_level} gave similarity {result.similarity}"
        return fallback
    if result.similarity < text_floor:
        return Compression(text, measure=result.measure,
                           backed_off=f"similarity {result.similarity} below {text_floor}")
    for lv in levels:
        result.level_counts[LEVEL_NAMES[lv]] = result.level_counts.get(LEVEL_NAMES[lv], 0) + 1
    return result


def _assemble(pieces: list[tuple[bool, str]], editable: list[int], chosen: list[str]) -> str:
    """Put the rewritten lines back; removed lines vanish with their newline, runs of blank
    lines shrink to one, and the text is trimmed — never inside a code block."""
    texts = [p for _, p in pieces]
    for k, i in enumerate(editable):
        nl = "\n" if texts[i].endswith("\n") else ""
        texts[i] = chosen[k].rstrip("\n") + nl if chosen[k].strip() else ""
    out: list[str] = []
    blank = True  # drop leading blank lines
    after_fence = False
    for (ok, _), piece in zip(pieces, texts, strict=True):
        if ok and not piece.strip():
            if piece and (after_fence or not blank):
                out.append("\n")
                blank = not after_fence
            after_fence = False
            continue
        out.append(piece)
        blank, after_fence = False, not ok
    while out and out[-1] == "\n":
        out.pop()
    if out and pieces[-1][0] and not _FENCE.fullmatch(out[-1]):
        out[-1] = out[-1].rstrip()
    return "".join(out)
