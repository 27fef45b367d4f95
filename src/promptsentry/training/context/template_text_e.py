"""Story premises told as a scene, and causal questions about data (issue 21, 2026-12-08,
ninth session): the ``dialogue``, ``mashup`` and ``alt_history`` registers (``creative``) and
the ``causal`` register (``data_analysis``).

Our own text (no row copied from a dataset; no held-out judged set was fetched or looked at).
The labelling guide of issue 21 puts "stories, story premises and writing prompts" under
``creative``. The never-trained Reddit WritingPrompts family still loses 53 of 317 premises to
``general`` with model 2026-12-07 d; the error shapes (counted, read, none copied) are
premises that open with a line of dialogue, premises that put a well-known character in a new
situation, second-person life scenarios and alternative history. The earlier ``premise`` and
``situation`` registers are one-sentence fantastic situations and hold none of those shapes.

``causal``: the guide puts "statistical questions about a dataset (named or attached or not)"
under ``data_analysis``; questions about treatment effects, confounders and the direction of a
relationship between two variables of a dataset went to ``research`` (QRData, 44 of 294), whose
biomedical register pulls "effect" and "causes". The register asks such questions about our
own variables in our own words; QRData stays scored, and is reported as not blind for a model
trained with it.

Same layout as ``template_text``: a ``train`` and a ``dev`` pool with different templates and
different slot values.
"""

from __future__ import annotations

__all__ = ["SCENE_REGISTERS"]

_DIALOGUE = {
    "label": "creative",
    "train": {
        "tags": ("", "", "", "", "[WP] ", "[WP] ", "[SP] "),
        "templates": (
            '"{line}," said the {speaker} to the {listener}.',
            '"{line}" "{reply}"',
            '"{line}"',
            '"{line}," the {speaker} whispered as {moment}.',
            "'{line}' {speaker_cap} had never heard those words before.",
            '"{line}" That was the last thing {speaker} said before {moment}.',
            '"{line}," {speaker} says, {manner}. "{reply}"',
            'The note on the door said only: "{line}"',
            '"{line}" "Why?" "{reply}"',
            "You hear a voice behind you: \"{line}\"",
        ),
        "slots": {
            "line": ("I told you never to open that door", "We have been expecting you",
                     "You're not supposed to be here yet", "Is this the part where I run",
                     "The dragon wants to talk to a manager",
                     "I didn't steal the moon, I borrowed it",
                     "Please tell me you brought the map",
                     "Every time you lie, it rains somewhere",
                     "Congratulations, you are the last human who can read",
                     "I have been your imaginary friend for thirty years and I quit",
                     "They said the war ended a century ago",
                     "Don't look at the painting after midnight"),
            "reply": ("Because the sky is listening", "Then who was driving the train",
                      "I thought you were dead", "Nobody ever asked me that before",
                      "You already know the answer", "Because I remember tomorrow"),
            "speaker": ("old woman", "knight", "android", "innkeeper", "ghost", "captain",
                        "little girl", "wizard"),
            "speaker_cap": ("The old woman", "The knight", "The android", "The innkeeper",
                            "The ghost", "The captain"),
            "listener": ("thief", "stranger at the bar", "young prince", "detective",
                         "last soldier", "new recruit"),
            "moment": ("the lights went out", "the ship began to sink",
                       "the bells rang thirteen times", "the stranger reached for the key",
                       "the snow started falling upwards"),
            "manner": ("without looking up from the cards", "smiling far too widely",
                       "wiping blood from the sword", "as the clocks stopped"),
        },
    },
    "dev": {
        "tags": ("", "", "[WP] "),
        "templates": (
            '"{line}," muttered the {speaker}.',
            '"{line}" "{reply}" "Fine, but you\'re carrying the body."',
            '{speaker_cap} leaned closer. "{line}"',
            '"{line}" was written in the sand when you woke up.',
        ),
        "slots": {
            "line": ("You were never supposed to survive the first chapter",
                     "Sign here and the curse is yours",
                     "The cat is the one in charge, you know",
                     "I can explain the penguins",
                     "Welcome back, we kept your room exactly as you left it"),
            "reply": ("That is not how contracts work", "Since when",
                      "You said that last time"),
            "speaker": ("pirate", "tired angel", "bank robber", "queen"),
            "speaker_cap": ("The pirate", "The tired angel", "The bank robber", "The queen"),
        },
    },
}

_MASHUP = {
    "label": "creative",
    "train": {
        "tags": ("", "", "", "[WP] ", "[WP] ", "[CW] "),
        "templates": (
            "{Character} {twist}.",
            "{Character} finally {twist}, and nobody is ready for it.",
            "{Character} and {character} are forced to {together}.",
            "After centuries of {routine}, {character} {twist}.",
            "It turns out {character} {secret}.",
            "{Character} retires and {retire}.",
            "The real reason {character} {deed}: {reason}.",
            "{Character} gets a job as {job}.",
        ),
        "slots": {
            "Character": ("Sherlock Holmes", "Dracula", "Robin Hood", "Santa Claus",
                          "The Tooth Fairy", "Zeus", "King Arthur", "Frankenstein's monster",
                          "The Big Bad Wolf", "Hercules", "Cinderella's stepmother",
                          "Captain Nemo"),
            "character": ("Sherlock Holmes", "Dracula", "Robin Hood", "Santa Claus",
                          "the Tooth Fairy", "Zeus", "King Arthur", "Frankenstein's monster",
                          "the Big Bad Wolf", "Hercules", "Cinderella's stepmother",
                          "Captain Nemo"),
            "twist": ("loses his powers on the night it matters most",
                      "is bitten by a radioactive spider",
                      "joins a support group for retired villains",
                      "starts a podcast about his failures",
                      "is put on trial for crimes nobody remembers",
                      "wakes up in a modern hospital",
                      "has to explain himself to a kindergarten class"),
            "together": ("share a flat in London", "run a bakery", "plan a wedding",
                         "survive a week without magic", "enter a cooking competition"),
            "routine": ("delivering presents", "guarding the gate", "granting wishes",
                        "chasing the same thief", "waiting in the tower"),
            "secret": ("has been afraid of the dark all along",
                       "was the villain of a different story",
                       "has been writing everyone's endings",
                       "is only seven years old"),
            "retire": ("opens a small inn by the sea", "takes up gardening, badly",
                       "writes a tell-all memoir", "becomes a driving instructor"),
            "deed": ("never smiles", "always wins", "keeps coming back",
                     "never leaves the castle"),
            "reason": ("a bet he lost a thousand years ago", "his mother is watching",
                       "the contract he signed as a child", "he is terrified of boredom"),
            "job": ("a night-shift nurse", "a high-school substitute teacher",
                    "a customer service agent", "a wedding photographer"),
        },
    },
    "dev": {
        "tags": ("", "[WP] "),
        "templates": (
            "{Character} is sent to therapy after {event}.",
            "{Character} wins the lottery and {after}.",
            "Nobody told {character} that {news}.",
        ),
        "slots": {
            "Character": ("Peter Pan", "Merlin", "The Snow Queen", "Count Orlok",
                          "Little Red Riding Hood"),
            "character": ("Peter Pan", "Merlin", "the Snow Queen", "Count Orlok",
                          "Little Red Riding Hood"),
            "event": ("the last battle", "losing the crown", "a very bad winter"),
            "after": ("immediately regrets it", "buys the whole forest",
                      "tries to return the money"),
            "news": ("the story ended years ago", "the kingdom is now a theme park",
                     "magic was outlawed in 1998"),
        },
    },
}

_ALT_HISTORY = {
    "label": "creative",
    "train": {
        "tags": ("", "", "", "[WP] ", "[WP] ", "[IP] "),
        "templates": (
            "It's {date}. {event}, but {twist}.",
            "{Figure} wakes up in {modern} and has to {task}.",
            "{event_cap} never happened. Describe the world today through the eyes of "
            "{who}.",
            "What if {event} had ended with {outcome}? Tell it from the side of {who}.",
            "You are a time traveller stuck in {era} with only {item}.",
            "You're {name}. {life}. Tonight, {incident}.",
            "Your {relative} {family_twist}, and your {relative2} {family_twist2}. Today "
            "you have to {task2}.",
        ),
        "slots": {
            "date": ("October 14th, 1066", "the morning of June 6th, 1944",
                     "New Year's Eve, 1999", "the summer of 1816", "April 1912"),
            "event": ("the battle is about to begin", "the ship leaves the harbour",
                      "the clocks are about to roll over", "the harvest has failed again"),
            "event_cap": ("The fall of Rome", "The invention of the printing press",
                          "The discovery of America by Europeans", "The Black Death",
                          "The first moon landing"),
            "twist": ("one soldier has a smartphone", "the king has been replaced by a robot",
                      "everyone can suddenly hear each other's thoughts",
                      "the enemy has sent a letter of apology"),
            "Figure": ("Napoleon", "Cleopatra", "Genghis Khan", "Queen Victoria",
                       "Leonardo da Vinci", "Joan of Arc"),
            "modern": ("a busy airport", "a teenager's bedroom", "a supermarket car park",
                       "a reality-TV set"),
            "task": ("order a coffee", "win an election", "pass a driving test",
                     "survive a family dinner"),
            "who": ("a farmer's daughter", "a palace guard", "a travelling merchant",
                    "a street cat"),
            "outcome": ("a handshake", "a different winner", "a wedding",
                        "everyone simply going home"),
            "era": ("ancient Egypt", "Victorian London", "the Stone Age",
                    "the court of the Sun King"),
            "item": ("a solar calculator", "a bag of crisps", "a paperback thriller",
                     "a broken phone"),
            "name": ("Marcus", "Elena", "Tobias", "Priya", "Grace"),
            "life": ("You have worked at the same lighthouse for forty years",
                     "You have been engaged eleven times",
                     "You were the most famous child actor of your generation",
                     "You can't remember anything before last Thursday"),
            "incident": ("someone knocks who looks exactly like you",
                         "the lighthouse goes dark for the first time",
                         "your phone shows a message from 1987"),
            "relative": ("mother", "brother", "best friend", "grandfather"),
            "family_twist": ("ran off with your fiancé", "joined a cult", "became a pirate",
                             "won the lottery and told no one"),
            "relative2": ("father", "sister", "ex-husband", "boss"),
            "family_twist2": ("is secretly a spy", "is running for mayor",
                              "has moved into your spare room"),
            "task2": ("give the wedding speech", "host Christmas dinner",
                      "testify in court"),
        },
    },
    "dev": {
        "tags": ("", "[WP] "),
        "templates": (
            "It's {date}, and {twist}.",
            "{Figure} is brought to the present day to {task}.",
            "You're {name}, and {life}.",
        ),
        "slots": {
            "date": ("July 4th, 1776", "the day the Titanic sails", "Christmas Day, 1914"),
            "twist": ("a stranger arrives with tomorrow's newspaper",
                      "the generals decide to settle it with a chess match"),
            "Figure": ("Julius Caesar", "Marie Curie", "Shakespeare", "Attila the Hun"),
            "task": ("judge a talent show", "run a start-up", "teach a history class"),
            "name": ("Oscar", "Hannah", "Ravi"),
            "life": ("your twin has been living your life for a year without anyone noticing",
                     "you are the only one in town who never dreams"),
        },
    },
}

_CAUSAL = {
    "label": "data_analysis",
    "train": {
        "tags": ("",),
        "templates": (
            "Using the {dataset} data, estimate the effect of {treatment} on {outcome}. "
            "Should we adjust for {covariate}?",
            "In this dataset, does {treatment} cause higher {outcome}, or is the relationship "
            "confounded by {covariate}?",
            "Estimate the average treatment effect of {treatment} on {outcome} with "
            "propensity score matching. Report the estimate to two decimals.",
            "Is {covariate} a confounder, a mediator or a collider for the effect of "
            "{treatment} on {outcome}? Answer with one word.",
            "Run a difference-in-differences analysis of {outcome} before and after "
            "{treatment} in the {dataset} data.",
            "Given the observational data in {dataset}, which variable is more likely to "
            "drive the other: {var_a} or {var_b}?",
            "Compute the odds ratio of {outcome} for {group_a} versus {group_b} in the "
            "{dataset} table. Round to the nearest hundredth.",
            "Fit a regression of {outcome} on {treatment}, controlling for {covariate}. Is the "
            "coefficient significant at the 5% level?",
            "What share of the {dataset} records with {treatment} show {outcome}? Answer as "
            "a percentage.",
            "Which variable in the {dataset} data has the strongest correlation with "
            "{outcome}?",
        ),
        "slots": {
            "dataset": ("customer_churn.csv", "loan applications", "store_sales",
                        "clinic visits", "employee survey", "A/B test results",
                        "ad_campaigns.xlsx", "school attendance"),
            "treatment": ("the discount e-mail", "the loyalty programme",
                          "the new onboarding flow", "a reminder text message",
                          "the price increase", "free shipping"),
            "outcome": ("repeat purchases", "loan default", "weekly sales",
                        "missed appointments", "staff turnover", "conversion rate"),
            "covariate": ("customer tenure", "income band", "store region", "age",
                          "prior purchases", "the marketing channel"),
            "var_a": ("advertising spend", "temperature", "staff hours", "page load time"),
            "var_b": ("sales volume", "ice-cream orders", "ticket backlog", "bounce rate"),
            "group_a": ("new customers", "the treated stores", "weekend shifts"),
            "group_b": ("returning customers", "the control stores", "weekday shifts"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "Does {treatment} reduce {outcome} in the {dataset} data once we control for "
            "{covariate}? Answer yes or no.",
            "Which direction is more plausible in this data: {var_a} affects {var_b}, or "
            "{var_b} affects {var_a}?",
            "Estimate the effect of {treatment} on {outcome} using inverse probability "
            "weighting.",
        ),
        "slots": {
            "dataset": ("hotel bookings", "gym memberships", "warehouse orders"),
            "treatment": ("the welcome call", "a late-payment fee", "the referral bonus"),
            "outcome": ("cancellations", "membership renewals", "late deliveries"),
            "covariate": ("booking lead time", "member age", "order size"),
            "var_a": ("rainfall", "delivery distance"),
            "var_b": ("umbrella sales", "customer ratings"),
        },
    },
}

_SECOND_PERSON = {
    "label": "creative",
    "train": {
        "tags": ("", "", "", "[WP] ", "[WP] ", "[EU] "),
        "templates": (
            "You're {role}. {backstory}. Today, {inciting}.",
            "Whenever you {act}, {effect}. Most people love it, but {complication}.",
            "Every {period}, you {ritual}. This time, {inciting}.",
            "You have {resource}, and {complication}.",
            "{World_rule}. {Consequence}.",
            "You've been {role} for {duration}, and you've never once {never}. Until "
            "tonight.",
            "You find yourself {where}, {state}. The last thing you remember is {memory}.",
            "Nobody believes you when you say {claim}, until {proof}.",
        ),
        "slots": {
            "role": ("a night-shift security guard at a wax museum",
                     "the last employee of a failing space station",
                     "an android built to run a roadside diner",
                     "a retired superhero working as a crossing guard",
                     "a ghost who is bad at haunting", "the only human in a school for monsters"),
            "backstory": ("Nobody has visited in eleven years", "Your creator vanished last "
                          "spring", "You have quietly saved the city four times",
                          "The townspeople still leave you flowers"),
            "inciting": ("a stranger walks in asking for you by your old name",
                         "the power goes out and something starts knocking",
                         "you receive a letter in your own handwriting",
                         "the sky turns the colour of static"),
            "act": ("sneeze", "tell a lie", "sing in the shower", "fall asleep"),
            "effect": ("somewhere in the world a flower blooms", "time skips an hour",
                       "a random stranger gets a good idea", "it starts to snow"),
            "complication": ("the government has started tracking you",
                             "someone is using it as a weapon", "your landlord has noticed",
                             "a rival has the exact opposite gift"),
            "period": ("ten years", "leap day", "full moon", "first day of winter"),
            "ritual": ("meet your future selves in the same café",
                       "are allowed one question to the oracle",
                       "trade memories with your twin",
                       "wake up in a different country"),
            "resource": ("exactly one hundred days left to live",
                         "a key that opens any door once", "a bank account that refills "
                         "every morning", "the ability to pause everyone but yourself"),
            "World_rule": ("Dragons are just large, grumpy tax inspectors",
                           "In this city, every lie turns into a small bird",
                           "Vampires must be invited in, and they are running out of friends",
                           "Wizards are licensed like electricians"),
            "Consequence": ("You are the one who has to audit the oldest of them",
                            "The sky has been very crowded since the election",
                            "Halloween has become the loneliest night of the year",
                            "Your licence expired yesterday, in the middle of a job"),
            "duration": ("three hundred years", "since the war", "half your life"),
            "never": ("lost a fight", "opened the red door", "been late",
                      "seen the sun"),
            "where": ("in a lifeboat in the middle of a desert", "on a train with no driver",
                      "in a library where every book is about you"),
            "state": ("wearing someone else's uniform", "holding a stranger's baby",
                      "soaked to the skin and laughing"),
            "memory": ("signing a contract in red ink", "your own funeral",
                       "a dog that could talk"),
            "claim": ("your cat is a retired god", "the moon is following you",
                      "you have lived this Tuesday before"),
            "proof": ("the cat orders pizza in perfect Latin", "the tides stop",
                      "you stop a robbery before it starts"),
        },
    },
    "dev": {
        "tags": ("", "[WP] "),
        "templates": (
            "You're {role}, and {inciting}.",
            "Whenever you {act}, {effect}.",
            "{World_rule}, and you're the newest one.",
        ),
        "slots": {
            "role": ("a lighthouse robot", "the town's only dentist for giants",
                     "a mermaid working in a call centre"),
            "inciting": ("your replacement arrives tomorrow",
                         "someone has stolen the ocean's voice"),
            "act": ("blink twice", "whistle", "write a name"),
            "effect": ("a door opens somewhere in the city", "the weather copies your mood"),
            "World_rule": ("Angels are underpaid bureaucrats", "Monsters are hired by parents "
                           "to keep children in bed"),
        },
    },
}

_ROLE_REQUEST = {
    "label": "general",
    "train": {
        "tags": ("",),
        "templates": (
            "You're {expert}. {request}",
            "Act as {expert} and {request_lower}",
            "Pretend you're {expert}: {request_lower}",
            "You are {expert}. I {situation}. What should I do?",
            "Imagine you're {expert}. How would you {howto}?",
        ),
        "slots": {
            "expert": ("an experienced travel planner", "my personal trainer",
                       "a patient maths tutor", "a career coach", "a friendly nutritionist",
                       "a seasoned landlord", "a kindergarten teacher", "a financial adviser"),
            "request": ("Plan a three-day trip to Lisbon on a budget.",
                        "Give me a weekly workout plan for a beginner.",
                        "Explain compound interest with a simple example.",
                        "Help me prepare for a salary negotiation.",
                        "Suggest healthy lunches I can make in ten minutes.",
                        "What questions should I ask before signing a lease?"),
            "request_lower": ("plan a three-day trip to Lisbon on a budget.",
                              "give me a weekly workout plan for a beginner.",
                              "explain compound interest with a simple example.",
                              "help me prepare for a salary negotiation.",
                              "suggest healthy lunches I can make in ten minutes."),
            "situation": ("just got a job offer in another city",
                          "keep waking up at 4 a.m.", "have two weeks to learn to swim",
                          "have too much credit-card debt", "am moving in with my partner"),
            "howto": ("keep a toddler busy on a long flight", "pay off a car loan faster",
                      "get back into running after an injury",
                      "settle a dispute between flatmates"),
        },
    },
    "dev": {
        "tags": ("",),
        "templates": (
            "You're {expert}; {request_lower}",
            "As {expert}, tell me {question}",
        ),
        "slots": {
            "expert": ("a wedding planner", "a dog trainer", "a tax accountant"),
            "request_lower": ("help me plan a small garden wedding in June.",
                              "how do I stop my puppy biting?"),
            "question": ("what I can deduct as a freelancer.",
                         "how to budget for a wedding of fifty guests."),
        },
    },
}

#: register → its lock and its two pools (appended to ``template_text.REGISTERS``)
SCENE_REGISTERS: dict[str, dict] = {
    "dialogue": _DIALOGUE, "mashup": _MASHUP, "alt_history": _ALT_HISTORY, "causal": _CAUSAL,
    "second_person": _SECOND_PERSON,
}
