"""Search-style factual queries (issue 21, 2026-12-07 c): the ``query`` register (``general``).

Our own text (no row copied from a dataset; no held-out judged set was fetched or looked at).
Written after trying the shipped detector as a user would: lower-case questions typed into a
search box, without a question mark, went to ``image_video`` or ``creative`` when they named a
film, a song, a painting or a place ("who painted …" → image_video 0.97, "who is the author of
the poem …" → creative 0.96; 23 of 30 such questions of our own right). Every one of them is a
factual question — ``general`` by the labelling guide of issue 21 — and the short lower-case
noun phrases of text-to-image captions are the only prompts they resemble in shape.

Same layout as ``template_text``: a ``train`` and a ``dev`` pool with different templates and
different slot values.
"""

from __future__ import annotations

__all__ = ["QUERY_REGISTERS"]

_QUERY = {
    "label": "general",
    "train": {
        "tags": ("", "", "", "", ""),
        "templates": (
            "who sang {song}",
            "who wrote the book {book}",
            "who directed the film {film}",
            "who played {role} in {film}",
            "when did {film} come out",
            "who painted {painting}",
            "where is {painting} displayed",
            "what is the tallest {landform} in {region}",
            "what is the capital city of {country}",
            "how many {unit} are in a {bigger_unit}",
            "who discovered {discovery}",
            "when was {building} built",
            "what currency is used in {country}",
            "who won the {competition} in {year}",
            "what is the chemical symbol for {element}",
            "how many {members} does {group} have",
            "who is the lead singer of {band}",
            "what year did {event} happen",
            "which planet is known as {nickname}",
            "where does the {animal} live",
            "what is {book} about",
            "who composed {piece}",
            "how long does it take to {trip}",
            "name of the {character} in {film}",
        ),
        "slots": {
            "song": ("bohemian rhapsody", "hallelujah", "rolling in the deep",
                     "take on me", "sweet caroline", "purple rain"),
            "book": ("to kill a mockingbird", "the great gatsby", "one hundred years of solitude",
                     "the hunger games", "brave new world"),
            "film": ("titanic", "the godfather", "jurassic park", "the matrix", "casablanca",
                     "finding nemo"),
            "role": ("the villain", "the main character", "the mother", "the detective",
                     "the young boy"),
            "painting": ("the starry night", "the last supper", "guernica", "the scream",
                         "girl with a pearl earring"),
            "landform": ("mountain", "waterfall", "volcano", "building"),
            "region": ("europe", "south america", "japan", "canada", "the world"),
            "country": ("peru", "norway", "vietnam", "morocco", "switzerland", "chile"),
            "unit": ("ounces", "feet", "teaspoons", "seconds", "grams"),
            "bigger_unit": ("pound", "mile", "cup", "day", "kilogram"),
            "discovery": ("penicillin", "gravity", "the electron", "radium", "insulin"),
            "building": ("the colosseum", "the taj mahal", "the empire state building",
                         "machu picchu", "the golden gate bridge"),
            "competition": ("super bowl", "tour de france", "eurovision song contest",
                            "stanley cup", "world series"),
            "year": ("1998", "2004", "2012", "2016", "1986"),
            "element": ("gold", "sodium", "iron", "potassium", "lead"),
            "members": ("players", "members", "judges", "seats"),
            "group": ("a soccer team", "the us senate", "a jury", "the supreme court",
                      "a baseball team"),
            "band": ("coldplay", "queen", "u2", "the rolling stones", "maroon 5"),
            "event": ("the moon landing", "the fall of rome", "the french revolution",
                      "the chernobyl disaster", "the first world war end"),
            "nickname": ("the red planet", "the morning star", "the gas giant"),
            "animal": ("snow leopard", "axolotl", "koala", "emperor penguin", "sloth"),
            "piece": ("the nutcracker", "moonlight sonata", "the magic flute", "bolero"),
            "trip": ("fly from london to new york", "get to mars", "walk a mile",
                     "boil an egg"),
            "character": ("dog", "robot", "villain", "spaceship", "horse"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "who does the voice of {cartoon}",
            "what album is {track} on",
            "who was the author of {novel}",
            "when does season {season} of {show} start",
            "what is the largest {thing} in {place}",
            "who built {monument}",
            "what language do they speak in {nation}",
        ),
        "slots": {
            "cartoon": ("shrek", "bugs bunny", "spongebob", "elsa in frozen"),
            "track": ("yesterday", "thriller", "wonderwall", "hotel room service"),
            "novel": ("moby dick", "war and peace", "the hobbit", "dracula"),
            "season": ("2", "4", "5"),
            "show": ("the crown", "breaking bad", "the wire", "game of thrones"),
            "thing": ("lake", "desert", "island", "city"),
            "place": ("africa", "asia", "the united states", "australia"),
            "monument": ("stonehenge", "the pyramids of giza", "the eiffel tower",
                         "angkor wat"),
            "nation": ("austria", "suriname", "belgium", "mozambique"),
        },
    },
}

#: register → its lock and its two pools (appended to ``template_text.REGISTERS``)
QUERY_REGISTERS: dict[str, dict] = {"query": _QUERY}
