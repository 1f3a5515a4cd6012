"""Sentence splitting and chunking with the default model's real tokenizer."""

from __future__ import annotations

import pytest

from core.chunk import SEPARATOR, chunk_blocks, document_text
from core.errors import InvalidInputError
from core.text import split_sentences
from core.types import Block


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


# -- sentences ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Dr. Smith arrived. He was late.", ["Dr. Smith arrived.", "He was late."]),
        ("See Fig. 3 and Eq. 2 for the proof. It is short.", ["See Fig. 3 and Eq. 2 for the proof.", "It is short."]),
        ("Use tools, e.g. a hammer. Or i.e. nails.", ["Use tools, e.g. a hammer.", "Or i.e. nails."]),
        ("As Gal et al. (2009) showed. Next.", ["As Gal et al. (2009) showed.", "Next."]),
        ("Pi is 3.14159 roughly. Version 1.2.3 shipped.", ["Pi is 3.14159 roughly.", "Version 1.2.3 shipped."]),
        ("J. R. R. Tolkien wrote it. Done.", ["J. R. R. Tolkien wrote it.", "Done."]),
        ("Really? Yes! \"Quoted.\" (Aside.) End", ["Really?", "Yes!", "\"Quoted.\"", "(Aside.)", "End"]),
        ("1. Introduction is first. 2. Methods follow.", ["1. Introduction is first.", "2. Methods follow."]),
        ("It was 5 p.m. and then it rained.", ["It was 5 p.m. and then it rained."]),
        ("Row one | a\nRow two | b", ["Row one | a", "Row two | b"]),
        ("这是第一句。这是第二句！第三句", ["这是第一句。", "这是第二句！", "第三句"]),
        ("Wait... Then it came.", ["Wait...", "Then it came."]),
        ("  leading and trailing space.  ", ["leading and trailing space."]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert _sentences(text) == expected


def test_sentence_spans_cover_every_character():
    text = "Alpha beta. Gamma delta!  Epsilon?\nZeta eta e.g. theta. Iota."
    spans = split_sentences(text)
    covered = set()
    for s, e in spans:
        assert text[s:e] == text[s:e].strip()
        covered.update(range(s, e))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert spans == sorted(spans)


# -- chunks ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def count_tokens(default_model_dir):
    """The default model's own fast tokenizer (tokenizer.json), special tokens included,
    no truncation: the same counts as the encoder's count_tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(default_model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    calls = []

    def count(texts: list[str]) -> list[int]:
        calls.append(len(texts))
        return [len(e.ids) for e in tokenizer.encode_batch(list(texts))]

    count.calls = calls
    return count


SENTENCES = [
    "The harbour pilot boarded the container ship shortly before dawn on Tuesday.",
    "Fog had settled over the estuary, and the radar showed three fishing boats ahead.",
    "She ordered the engines slowed to five knots, e.g. the speed used in poor visibility.",
    "According to Smith et al. the channel had been dredged in 2019 to a depth of 14.5 m.",
    "Nobody on the bridge spoke while the ship passed the breakwater.",
]


def _check(blocks, chunks, count_tokens, max_tokens):
    text = document_text(blocks)
    assert [c.ord for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.text == text[chunk.char_start:chunk.char_end]
        assert chunk.text == chunk.text.strip() and chunk.text
    assert all(n <= max_tokens for n in count_tokens([c.text for c in chunks]))
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.char_start, chunk.char_end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_short_blocks_merge_under_one_heading_when_asked(count_tokens):
    blocks = [
        Block("Harbour", heading="Harbour", kind="heading"),
        Block(SENTENCES[0], heading="Harbour"),
        Block(SENTENCES[1], heading="Harbour"),
        Block("Weather", heading="Weather", kind="heading"),
        Block(SENTENCES[2], heading="Weather"),
    ]
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=128, merge_paragraphs=True)
    _check(blocks, chunks, count_tokens, 128)
    assert [c.text for c in chunks] == [
        f"Harbour\n\n{SENTENCES[0]}\n\n{SENTENCES[1]}",
        f"Weather\n\n{SENTENCES[2]}",
    ]
    assert [c.heading for c in chunks] == ["Harbour", "Weather"]
    assert all(c.page_start is None for c in chunks)
    # By default (issue 16) a passage is one paragraph, with the heading right above it.
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=128)
    _check(blocks, chunks, count_tokens, 128)
    assert [c.text for c in chunks] == [
        f"Harbour\n\n{SENTENCES[0]}", SENTENCES[1], f"Weather\n\n{SENTENCES[2]}"]
    assert [c.heading for c in chunks] == ["Harbour", "Harbour", "Weather"]


def test_pages_adjacent_merge_and_distant_pages_do_not(count_tokens):
    blocks = [Block(SENTENCES[0], page=1), Block(SENTENCES[1], page=2), Block(SENTENCES[2], page=5)]
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=128, merge_paragraphs=True)
    _check(blocks, chunks, count_tokens, 128)
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 2), (5, 5)]
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=128)
    assert [(c.page_start, c.page_end) for c in chunks] == [(1, 1), (2, 2), (5, 5)]


def test_long_paragraph_splits_at_sentences_with_overlap(count_tokens):
    paragraph = " ".join(SENTENCES * 4)
    blocks = [Block("Intro line.", page=3), Block(paragraph, page=4), Block("Closing words.", page=4)]
    max_tokens = 64
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=max_tokens, overlap_sentences=1)
    _check(blocks, chunks, count_tokens, max_tokens)
    pieces = [c for c in chunks if paragraph.find(c.text) >= 0 and c.text != paragraph]
    assert len(pieces) >= 4
    for chunk in pieces:
        assert chunk.page_start == chunk.page_end == 4
        assert chunk.text[-1] in ".!?"   # cut at sentence ends
    for prev, nxt in zip(pieces, pieces[1:], strict=False):
        last_sentence = _sentences(prev.text)[-1]
        assert nxt.text.startswith(last_sentence)          # one sentence of overlap
        assert nxt.char_start < prev.char_end
    assert chunks[0].text == "Intro line." and chunks[-1].text == "Closing words."
    no_overlap = chunk_blocks(blocks, count_tokens, max_tokens=max_tokens, overlap_sentences=0)
    _check(blocks, no_overlap, count_tokens, max_tokens)
    assert all(a.char_end <= b.char_start for a, b in zip(no_overlap, no_overlap[1:], strict=False))


def test_a_sentence_longer_than_the_budget_is_cut_between_words(count_tokens):
    endless = "and then the tide turned " * 60 + "until morning."
    url = "https://example.org/" + "x7Q" * 400
    blocks = [Block(endless.strip()), Block(url)]
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=32)
    _check(blocks, chunks, count_tokens, 32)
    assert len(chunks) > 10
    for chunk in chunks:
        assert not chunk.text.startswith(" ") and not chunk.text.endswith(" ")


def test_counts_are_batched(count_tokens):
    blocks = [Block(s + f" Number {i}.") for i in range(200) for s in SENTENCES[:1]]
    count_tokens.calls.clear()
    chunks = chunk_blocks(blocks, count_tokens, max_tokens=128)
    _check(blocks, chunks, count_tokens, 128)
    assert len(count_tokens.calls) <= 4   # overhead, blocks, verification (+ the check above)


def test_real_pdf_chunks(count_tokens, shared_data):
    from core.extract import extract

    result = extract(shared_data / "pdf_real/docling/normal_4pages.pdf")
    assert result.status == "indexed"
    chunks = chunk_blocks(result.blocks, count_tokens, max_tokens=256)
    _check(result.blocks, chunks, count_tokens, 256)
    pages = sorted({b.page for b in result.blocks})
    spans, start = [], 0                      # each block's place in the document text
    for b in result.blocks:
        spans.append((start, start + len(b.text), b.page))
        start += len(b.text) + len(SEPARATOR)
    for chunk in chunks:
        covered = [page for a, z, page in spans if a < chunk.char_end and chunk.char_start < z]
        assert covered and chunk.page_start == min(covered) and max(covered) == chunk.page_end
        assert pages[0] <= chunk.page_start <= chunk.page_end <= pages[-1]


def test_nothing_to_chunk_and_a_budget_too_small(count_tokens):
    assert chunk_blocks([], count_tokens, max_tokens=128) == []
    with pytest.raises(InvalidInputError):
        chunk_blocks([Block("text")], count_tokens, max_tokens=2)


def test_chunks_fit_the_encoder_through_its_own_count_tokens(tiny_model_dir):
    """The contract the indexer relies on: the encoder's count_tokens and max_seq_length."""
    from core.encoder import SentenceEncoder

    enc = SentenceEncoder.load(tiny_model_dir, device="cpu")
    paragraph = " ".join(SENTENCES * 12)
    blocks = [Block("Heading", heading="Heading", kind="heading"), Block(paragraph, heading="Heading")]
    chunks = chunk_blocks(blocks, enc.count_tokens, max_tokens=enc.max_seq_length)
    assert len(chunks) > 1
    assert max(enc.count_tokens([c.text for c in chunks])) <= enc.max_seq_length
    assert chunks[0].text.startswith("Heading\n\n") and all(c.heading == "Heading" for c in chunks)
