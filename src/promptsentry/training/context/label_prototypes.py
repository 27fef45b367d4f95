"""Label descriptions of the six locks, written from issue 21's labelling guide: the sentence
encoder's embeddings of these sentences are the *prototypes* the semantic half compares a
prompt with (per lock, the highest cosine), so a register no training source covered can
still land near the lock whose description it matches. Short, plain examples of each
register, none taken from a corpus row or a held-out set."""

from __future__ import annotations

__all__ = ["LABEL_DESCRIPTIONS"]

LABEL_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "code": (
        "Write a function in Python.", "Fix this bug in my code.",
        "Explain what this code does and review it.",
        "Complete the implementation of this class.", "Write a SQL query.",
        "Write a bash shell script.", "Solve this programming puzzle.",
        "The app crashes with an error when I click the button; fix the issue in the codebase.",
    ),
    "creative": (
        "Write a short story.", "Write a poem about love.",
        "A writing prompt: a story premise for fiction.",
        "Write a script for a scene with two characters.",
        "You wake up one day and discover you have a superpower. Tell the story.",
        "Role-play a fantasy narrative.", "Write song lyrics in the style of a ballad.",
    ),
    "data_analysis": (
        "Analyse this dataset and report trends.",
        "Compute the average and standard deviation of the column.",
        "Is there a statistically significant correlation between these variables in the data?",
        "Visualise the sales metrics in a chart.", "Analyse trends in KPIs by team over time.",
        "Which factors predict customer churn in the data?",
    ),
    "research": (
        "Find scientific evidence and literature on this question.",
        "Write a literature review with citations.",
        "Is this biomedical finding supported by research studies?",
        "Conduct a deep research investigation and write a report.",
        "Market research: analyse the industry landscape, competitors and market size.",
        "Survey recent academic papers on this topic.",
    ),
    "image_video": (
        "A photo of a cat on a red sofa.",
        "Cinematic shot, golden hour lighting, 35mm, highly detailed.",
        "Generate an image of a castle in watercolor style.",
        "A video of a drone flying over a forest.",
        "Digital art of a futuristic city, concept art.",
        "Two dogs playing in the snow, realistic photo.",
    ),
    "general": (
        "What is the capital of France?", "Can you give me some advice about my relationship?",
        "Help me plan a trip to Japan.", "Book a table for two at an Italian restaurant tonight.",
        "Hello, how are you?", "Explain how a mortgage works.", "What time is it in London?",
    ),
}
