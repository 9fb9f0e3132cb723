"""A large, realistic engagements CSV made fast from a seed: comments by handles that repeat (a few people comment
often, most once), written in several spellings ('@Thandi_M', 'thandi_m') so identity resolution has work to do."""

from __future__ import annotations

from pathlib import Path

import numpy as np

PHRASES = (
    "Do you deliver to Soweto?", "How much for a platter of 40?", "Love this!!", "What time do you open on Sunday?",
    "Can I book for a wedding in March?", "check out my channel for more recipes", "Is the menu halal?",
    "Yum 😍", "Do you cater for vegans?", "Where are you based?", "Amazing service, thank you", "Price please",
)
FIRST = ("thandi", "sipho", "naledi", "johan", "aisha", "lerato", "pieter", "zanele", "musa", "ayanda", "kagiso",
         "fatima", "themba", "ruan", "nomsa", "bongani")
MAPPING = """
kind = "engagements"
source = "synthetic"
timezone = "UTC"

[fields]
external_id = "comment_id"
occurred_at = "published_at"
channel = { value = "instagram" }
kind = { value = "comment" }
text = "text"

[[identity]]
kind = "handle"
column = "author"
channel = "instagram"
"""


def write_engagements(path: Path, rows: int, *, seed: int = 11, people: int | None = None) -> None:
    """Write `rows` comments by up to rows/5 people (heavy repeats) to a CSV at `path`."""
    rng = np.random.default_rng(seed)
    population = people or max(rows // 5, 1)
    # A power law over a shuffled population: the busiest 1% of people write about a third of the comments.
    who = rng.permutation(population)[(rng.random(rows) ** 4 * population).astype(np.int64)]
    spelling = rng.integers(0, 3, rows)
    stamps = np.datetime_as_string(np.sort(rng.integers(1_600_000_000, 1_700_000_000, rows)).astype("datetime64[s]"))
    phrase = rng.integers(0, len(PHRASES), rows)
    names = [f"{FIRST[i % len(FIRST)]}_{i}" for i in range(population)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("comment_id,author,published_at,text\n")
        chunk = 100_000
        for start in range(0, rows, chunk):
            lines = []
            for n, person, way, stamp, said in zip(range(start, min(start + chunk, rows)), who[start:start + chunk].tolist(),
                                                   spelling[start:start + chunk].tolist(), stamps[start:start + chunk].tolist(),
                                                   phrase[start:start + chunk].tolist()):
                name = names[person]
                author = (name, "@" + name, name.title())[way]
                lines.append(f"c{n:08d},{author},{stamp},\"{PHRASES[said]} #{n % 97}\"\n")
            out.write("".join(lines))
