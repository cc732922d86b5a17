"""Which thread messages read as a project description (scoring.suggest.gate): every description of the corpus and
of the stored briefs does; a long discussion reply does not, so the helper posts nothing about it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scoring.suggest import MAX_DESCRIPTION_CHARS
from scoring.suggest.evaluate import default_corpus
from scoring.suggest.gate import reads_as_description

BRIEFS = Path(__file__).parent.parent / "data" / "briefs"
CORPUS = sorted(default_corpus().glob("*.yaml"))

# replies people write in an evaluation's thread, each over the 400-character minimum of a description
REPLIES = [
    # the review's: a caution on the labeler-agreement question ("routing guide", a past check) and nothing else
    "@maya I'm not sure about the labeler agreement one. When Dev and I checked last month we only compared about "
    "40 tickets and it felt like we agreed most of the time, but we never wrote the number down and the routing "
    "guide changed since then. Can we hold off on that card until I re-run it this week? Also I think the budget "
    "question depends on whether hosting comes out of our budget or platform's; let's ask Priya.",
    "I think we should wait for the budget sign-off before we answer the rest. Priya said finance would get back to "
    "us next week, and honestly the team is stretched with the Q3 launch. Also, does anyone know whether the "
    "labeled tickets from the old system count? They were labeled with the old taxonomy, so half the categories "
    "have changed. Let's sync on Thursday and go through the remaining cards together.",
    "Sorry for the late reply, I was out sick. I read through the cards so far and mostly agree with what Sam "
    "picked. The one I'd push back on is the test set: the 200 tickets we set aside were used when we tuned the "
    "prompt in March, so they're not really held out anymore. I can carve out a fresh set from last week's tickets "
    "if that helps, it should take me an afternoon. Ping me if you want me to do that before we finish.",
    "Quick update from the vendor call: they can give us a dedicated endpoint for fine-tuned models, priced per "
    "hour, and they said most customers their size spend around $4k a month. They also mentioned that they do not "
    "support rollbacks between model versions automatically, so we'd have to keep the old prompt pipeline running "
    "ourselves. I'll write up the notes properly tomorrow and drop them in the Confluence page.",
]


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_corpus_description_reads_as_one(path: Path) -> None:
    assert reads_as_description(yaml.safe_load(path.read_text(encoding="utf-8"))["text"])


@pytest.mark.parametrize("path", sorted(BRIEFS.glob("*.md")), ids=lambda p: p.stem)
def test_every_stored_brief_reads_as_one(path: Path) -> None:
    assert reads_as_description(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", REPLIES, ids=[r[:30] for r in REPLIES])
def test_a_long_discussion_reply_is_no_description(text: str) -> None:
    assert len(text) >= 400
    assert not reads_as_description(text)


def test_a_text_over_the_limit_passes_so_its_writer_hears_why_it_is_not_read() -> None:
    assert reads_as_description("We have 2,000 labeled tickets. " * (MAX_DESCRIPTION_CHARS // 20))
    assert not reads_as_description("\u200b" * 500)
