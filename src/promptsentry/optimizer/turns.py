"""Prompts that are not briefs: conversational turns and short questions.

A chat turn such as "hello", "yes please" or "thanks, that worked!" asks the model for no
piece of work, so there is nothing to make clearer or more specific: adding "Audience:
[SPECIFY …]" to "hello" makes it worse. A one-line question ("What is the capital of
Australia?") fixes its own answer's length and form; asking for an audience and a format is
noise. :func:`conversational_turn` and :func:`short_question` tell the rules engine so.

Pure functions on the text's words; English plus the greetings and thanks of the languages the
detector's dev sets hold.
"""

from __future__ import annotations

import re

__all__ = ["conversational_turn", "short_question"]

MAX_TURN_WORDS = 6
MAX_QUESTION_WORDS = 12

_PHATIC = (
    # greetings and farewells
    r"hi|hello|hey|heya|hiya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|night|day)|"
    r"morning|evening|bye|goodbye|bye\s+bye|see\s+you(?:\s+later|\s+soon)?|take\s+care|"
    r"good\s*night|cya|later|"
    r"how\s+are\s+you(?:\s+doing)?(?:\s+today)?|how(?:'s|\s+is)\s+it\s+going|what'?s\s+up|sup|"
    r"nice\s+to\s+meet\s+you|"
    # thanks and praise
    r"thanks?|thank\s+you|thank\s+u|thx|ty|cheers|much\s+appreciated|appreciate\s+it|"
    r"thanks\s+a\s+lot|thank\s+you\s+so\s+much|thanks\s+so\s+much|many\s+thanks|"
    r"great|perfect|awesome|nice|cool|excellent|wonderful|amazing|brilliant|lovely|"
    r"(?:that|this|it)\s+(?:worked|works|helped|helps|is\s+(?:great|perfect|helpful))|"
    r"(?:that'?s|this\s+is)\s+(?:great|perfect|helpful|it|all|right|correct|fine)|"
    r"good\s+job|well\s+done|"
    # acknowledgements and answers
    r"ok|okay|k|kk|alright|all\s+right|sure|yes|yeah|yep|yup|no|nope|nah|"
    r"yes\s+please|no\s+thanks?|no\s+thank\s+you|please\s+do|go\s+ahead|"
    r"sounds\s+good|got\s+it|understood|i\s+see|makes\s+sense|fine|agreed|right|exactly|"
    r"of\s+course|absolutely|definitely|never\s+mind|nevermind|no\s+problem|np|"
    # multilingual greetings and thanks
    r"hola|gracias|buenos\s+d[ií]as|bonjour|salut|merci|merci\s+beaucoup|hallo|danke|"
    r"danke\s+sch[öo]n|guten\s+(?:morgen|tag|abend)|ciao|grazie|buongiorno|ol[áa]|obrigad[oa]|"
    r"bom\s+dia|hoi|bedankt|dank\s+je(?:\s+wel)?|cze[śs][ćc]|dzi[ęe]kuj[ęe]|merhaba|"
    r"te[şs]ekk[üu]rler|xin\s+ch[àa]o|c[ảa]m\s+[ơo]n|привет|здравствуйте|спасибо|"
    r"привіт|дякую|مرحبا|شكرا|नमस्ते|धन्यवाद|halo|terima\s+kasih|"
    r"你好|您好|谢谢|謝謝|こんにちは|ありがとう(?:ございます)?|안녕하세요|안녕|감사합니다|고마워"
)
_CHUNK = (rf"(?:{_PHATIC})(?:\s+(?:so\s+much|a\s+lot|very\s+much|again|there|all|everyone|"
          r"guys|friend|mate|buddy|team|bot|assistant|chatgpt|claude))?")
_SEPARATOR = r"[\s,.!?;:~…\-—–。！？、()'\"]+"
_SEPARATORS = re.compile(_SEPARATOR)
# the whole text: phatic chunks, each followed by separators or the end (the regex backtracks
# over the alternatives, so "thank you so much" is read as one chunk, not "thank" + "you")
_TURN = re.compile(rf"(?:{_SEPARATOR})?(?:(?:{_CHUNK})(?:{_SEPARATOR}|$))+", re.IGNORECASE)
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D:;]-?[()DPp]?")
_QUESTION_START = re.compile(
    r"^(?:what|who|whom|whose|when|where|which|why|how|is|are|was|were|do|does|did|can|could|"
    r"will|would|should|has|have|had|am)\b", re.IGNORECASE)
_PRODUCE = re.compile(
    r"\b(?:write|draft|create|generate|compose|make|build|design|plan|list|outline|summari[sz]e|"
    r"explain|describe|compare|analy[sz]e|review|rewrite|translate|suggest|recommend|give\s+me|"
    r"tell\s+me\s+about|help\s+me)\b", re.IGNORECASE)


def _words(text: str) -> list[str]:
    return [w for w in _SEPARATORS.split(text) if w]


def conversational_turn(text: str) -> bool:
    """True when ``text`` is only greetings, thanks, acknowledgements or a farewell (at most
    :data:`MAX_TURN_WORDS` words): "hello there", "yes please", "Thanks, that worked!"."""
    stripped = _EMOJI.sub(" ", text).strip()
    if not stripped or len(_words(stripped)) > MAX_TURN_WORDS:
        return False
    return _TURN.fullmatch(stripped) is not None


def short_question(text: str) -> bool:
    """True for a single question of at most :data:`MAX_QUESTION_WORDS` words that asks for a
    fact or a yes/no ("What is the capital of Australia?"), not for a piece of work ("What
    should I write in a cover letter for …" asks to *produce* — ``False``)."""
    stripped = text.strip()
    if "\n" in stripped or not stripped.endswith(("?", "？")):
        return False
    if stripped.count("?") + stripped.count("？") > 1:
        return False
    if len(_words(stripped)) > MAX_QUESTION_WORDS:
        return False
    return bool(_QUESTION_START.match(stripped)) and not _PRODUCE.search(stripped)
