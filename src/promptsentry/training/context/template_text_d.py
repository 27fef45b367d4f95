"""Open research questions (issue 21, 2026-12-07, eighth session): the ``frontier`` register
(``research``).

Our own text (no row copied from a dataset; no held-out judged set was fetched or looked at).
The labelling guide of issue 21 puts "questions that ask for evidence, literature or
investigation" under ``research``; the register no template held is the open question of a
field — which approaches look promising for a problem, what the evidence says, where a debate
stands, what is still unsolved — asked in one or two sentences with no request for citations.
The never-trained ResearcherBench family sends such questions to ``general`` (12 of 65 with the
shipped model), so this register was written after that family's error shape was seen: the
family is not blind for a model trained with it, and it is reported so.

Same layout as ``template_text``: a ``train`` and a ``dev`` pool with different templates and
different slot values.
"""

from __future__ import annotations

__all__ = ["FRONTIER_REGISTERS"]

_FRONTIER = {
    "label": "research",
    "train": {
        "tags": ("",),
        "templates": (
            "What are the most promising approaches to {problem} in {field}, and what are "
            "their trade-offs?",
            "How has research on {problem} evolved over the last decade?",
            "What does the current evidence say about {claim}?",
            "Is there a scientific consensus on {claim}, or is it still debated?",
            "What are the open problems in {field} today?",
            "Which methods have been proposed for {problem}, and how do they compare?",
            "Why has {problem} proved so hard to solve in {field}?",
            "What are the limitations of current approaches to {problem}?",
            "How could {technique} change the way {field} approaches {problem}?",
            "What would it take to make {technique} practical at scale?",
            "Summarise the state of the art in {problem} and where the field is heading.",
            "What are the competing theories about {claim}?",
            "How do researchers measure progress on {problem}, and are the benchmarks "
            "trustworthy?",
            "What lessons from {field} could help with {problem}?",
            "Does {technique} actually work, or are the reported gains an artefact of how it "
            "is evaluated?",
            "What breakthroughs would be needed before {technique} is widely adopted?",
        ),
        "slots": {
            "problem": ("protein structure prediction", "battery degradation",
                        "antibiotic resistance", "long-context reasoning in language models",
                        "carbon capture", "quantum error correction", "drug-target binding",
                        "robot grasping of unfamiliar objects", "forecasting extreme weather",
                        "reproducibility of psychology studies", "fusion plasma stability"),
            "field": ("materials science", "machine learning", "neuroscience",
                      "climate science", "synthetic biology", "economics", "robotics",
                      "epidemiology"),
            "claim": ("intermittent fasting extending lifespan", "microplastics harming human "
                      "health", "minimum wage increases reducing employment",
                      "gut bacteria influencing mood", "scaling laws continuing to hold",
                      "dark matter being made of axions"),
            "technique": ("CRISPR base editing", "self-supervised learning",
                          "mixture-of-experts models", "solid-state electrolytes",
                          "retrieval-augmented generation", "optogenetics",
                          "digital twins"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "Where does the debate on {topic} stand, and what would settle it?",
            "What new ideas could overcome {obstacle}?",
            "How close are we to {milestone}, and what is still missing?",
            "What explains {puzzle}, according to recent work?",
            "Could {idea} replace today's methods, and what are the risks?",
        ),
        "slots": {
            "topic": ("the origin of the placebo effect", "sparse versus dense neural networks",
                      "the benefits of moderate drinking"),
            "obstacle": ("catastrophic forgetting in neural networks",
                         "the short lifetime of perovskite solar cells",
                         "the blood-brain barrier in drug delivery"),
            "milestone": ("room-temperature superconductors", "a universal flu vaccine",
                          "fully autonomous lab experiments"),
            "puzzle": ("the slowdown in productivity growth", "the rise in myopia in children",
                       "why large models hallucinate"),
            "idea": ("neuromorphic chips", "phage therapy", "program synthesis from examples"),
        },
    },
}

# Its counterweight (``general``): one-answer factual questions on the same topics —
# science, medicine, technology, finance — which are everyday questions by the guide, however
# technical the topic. With ``frontier`` alone, FreshQA's factual questions on such topics went
# to ``research`` (9 more of 600), so this register too was written after a never-trained
# family's error shape was seen.
_TOPICAL_FACT = {
    "label": "general",
    "train": {
        "tags": ("",),
        "templates": (
            "What is the boiling point of {substance}?",
            "who invented {invention}",
            "Which company makes {product}?",
            "When was {discovery} discovered?",
            "how many {part} are in the human body",
            "What does {acronym} stand for?",
            "Who won the Nobel Prize in {science} in {year}?",
            "What is the stock ticker of {company}?",
            "Which country produces the most {commodity}?",
            "Is {drug} available without a prescription in the US?",
            "what year did {company} go public",
            "Who is the current head of {agency}?",
            "How many people died in {disaster}?",
            "What is the half-life of {isotope}?",
        ),
        "slots": {
            "substance": ("nitrogen", "ethanol", "mercury", "olive oil"),
            "invention": ("the transistor", "the lithium-ion battery", "the world wide web",
                          "the telephone", "insulin therapy"),
            "product": ("the iPhone", "the Pixel phone", "Ozempic", "the Model 3",
                        "the PlayStation"),
            "discovery": ("penicillin", "the electron", "the Higgs boson", "DNA's double helix",
                          "the first exoplanet"),
            "part": ("bones", "teeth", "muscles", "chromosomes"),
            "acronym": ("DNA", "NASA", "GDP", "MRI", "HTTP", "CRISPR"),
            "science": ("physics", "chemistry", "medicine", "economics"),
            "year": ("2019", "2020", "2021", "2022", "2023"),
            "company": ("Nvidia", "Moderna", "Airbnb", "Pfizer", "Microsoft", "Arm"),
            "commodity": ("lithium", "coffee", "cobalt", "wheat", "natural gas"),
            "drug": ("ibuprofen", "melatonin", "naloxone", "amoxicillin"),
            "agency": ("the WHO", "the FDA", "the European Central Bank", "the CDC"),
            "disaster": ("the 2011 Tohoku earthquake", "Hurricane Maria",
                         "the Chernobyl accident"),
            "isotope": ("carbon-14", "uranium-235", "iodine-131"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "which element has the atomic number {number}",
            "Who founded {firm}?",
            "What is the speed of {wave} in a vacuum?",
            "When did {vaccine} get approved?",
        ),
        "slots": {
            "number": ("6", "26", "79", "92"),
            "firm": ("OpenAI", "Tesla", "Genentech", "Intel"),
            "wave": ("light", "radio waves"),
            "vaccine": ("the first mRNA vaccine", "the HPV vaccine", "the polio vaccine"),
        },
    },
}

#: register → its lock and its two pools (appended to ``template_text.REGISTERS``)
FRONTIER_REGISTERS: dict[str, dict] = {"frontier": _FRONTIER, "topical_fact": _TOPICAL_FACT}
