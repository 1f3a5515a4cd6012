"""Blocks -> chunks that fit the encoder's token budget.

The text stored is exactly the text shown. A document's text is its blocks joined by a
blank line, ``document_text(blocks) == "\\n\\n".join(b.text for b in blocks)``, and every
chunk is a contiguous span of it: ``chunk.text == document_text[chunk.char_start:
chunk.char_end]``. Nothing is added to a chunk (no heading prefix): the heading travels
in ``chunk.heading``; a heading block is merged into the chunk that follows it.

How blocks become chunks:

1. Every block's token count comes from the model's tokenizer (``count_tokens``, which
   counts special tokens too), all blocks in one batched call.
2. A passage is one paragraph (a paragraph copied between different neighbours
   must exist on its own to be found): a block is merged only with the heading blocks
   right above it, and fragments in a row (blocks of fewer than 4 words or 20 letters:
   table cells, single-word list items; core.text.is_fragment) are merged with each
   other, never with a paragraph. With ``merge_paragraphs=True`` (the older behaviour),
   consecutive blocks with the same heading, on the same or adjacent pages, are merged
   while the merge fits ``max_tokens``. A merge's count is estimated as the sum of its
   parts' counts without their special tokens (exact for WordPiece, whose pieces never
   cross whitespace) and then checked by counting the merged text for real.
3. A block that does not fit alone is cut at sentence boundaries (core.text); its
   sentences are packed into pieces that fit, and consecutive pieces of one block share
   ``overlap_sentences`` sentences, so a thought cut in two is whole in one of them.
   A sentence longer than the budget is cut between words, and a "word" longer than the
   budget (a URL, base64, unspaced CJK) between characters.
4. Every chunk's text is counted once more, in one batch; a chunk over the budget (the
   estimate was wrong) is halved until it fits. So every chunk fits, always.

page_start/page_end are the smallest and largest page of the blocks a chunk covers;
heading is the first covered block's heading; ``ocr`` is set when a covered block was read
by OCR (blocks read by OCR are never merged with text-layer blocks). Overlapping pieces mean chunk spans may
overlap; together they cover every non-space character of every block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.errors import InvalidInputError
from core.extract.furniture import REPEAT_PAGES, fuzzy_canon, letters
from core.text import is_fragment, split_sentences
from core.types import Block, Chunk

CountTokens = Callable[[list[str]], list[int]]
SEPARATOR = "\n\n"


def document_text(blocks: Sequence[Block]) -> str:
    """The text all chunk offsets refer to."""
    return SEPARATOR.join(b.text for b in blocks)


@dataclass
class _Atom:
    """A span of the document text known to fit the budget on its own."""

    start: int
    end: int
    tokens: int
    block: int          # index of its block


def chunk_blocks(
    blocks: Sequence[Block],
    count_tokens: CountTokens,
    max_tokens: int,
    overlap_sentences: int = 1,
    merge_paragraphs: bool = False,
) -> list[Chunk]:
    if not blocks:
        return []
    text = document_text(blocks)
    overhead = count_tokens([""])[0]
    if max_tokens <= overhead + 1:
        raise InvalidInputError(f"max_tokens={max_tokens} leaves no room for text ({overhead} special tokens)")
    starts = _block_starts(blocks)
    counts = count_tokens([b.text for b in blocks])
    groups: list[list[_Atom]] = []
    run: list[_Atom] = []      # whole blocks waiting to be merged
    oversize: list[int] = []
    leads: list[list[_Atom]] = []
    for i, block in enumerate(blocks):
        if counts[i] <= max_tokens:
            atom = _Atom(starts[i], starts[i] + len(block.text), counts[i], i)
            if run and not (_mergeable(blocks[run[-1].block], block)
                            and (merge_paragraphs or _only_headings(blocks, run)
                                 or _fragment_run(blocks, run, block))):
                groups += _pack(run, max_tokens, overhead, 0)
                run = []
            run.append(atom)
        else:
            # Headings right above a long block go with its first piece, not alone.
            lead: list[_Atom] = []
            while run and blocks[run[-1].block].kind == "heading" and _mergeable(blocks[run[-1].block], block):
                lead.insert(0, run.pop())
            groups += _pack(run, max_tokens, overhead, 0)
            run = []
            groups.append([_Atom(starts[i], starts[i] + len(block.text), counts[i], i)])
            oversize.append(len(groups) - 1)
            leads.append(lead)
    groups += _pack(run, max_tokens, overhead, 0)

    # Cut the oversize blocks into sentence pieces (all of them batched together).
    if oversize:
        pieces = _split_oversize(text, [groups[g][0] for g in oversize], leads, count_tokens, max_tokens,
                                 overhead, overlap_sentences)
        for g, replacement in zip(reversed(oversize), reversed(pieces), strict=True):
            groups[g:g + 1] = replacement
    groups = _verify(text, groups, count_tokens, max_tokens)
    return [_make_chunk(n, text, group, blocks, overhead) for n, group in enumerate(groups)]


def _block_starts(blocks: Sequence[Block]) -> list[int]:
    starts, pos = [], 0
    for block in blocks:
        starts.append(pos)
        pos += len(block.text) + len(SEPARATOR)
    return starts


def _mergeable(prev: Block, block: Block) -> bool:
    if prev.heading != block.heading or prev.ocr != block.ocr:
        return False
    if prev.page is None or block.page is None:
        return prev.page is None and block.page is None
    return 0 <= block.page - (prev.page_end or prev.page) <= 1


def _only_headings(blocks: Sequence[Block], run: list[_Atom]) -> bool:
    """A paragraph passage takes the headings right above it, nothing else."""
    return all(blocks[a.block].kind == "heading" for a in run)


def _fragment_run(blocks: Sequence[Block], run: list[_Atom], block: Block) -> bool:
    """Fragments in a row (table cells, a list of single words, form fields) make one
    passage together: alone, "Capital" or "273.879.750" would fill result lists and
    find nothing. A real paragraph never joins them, nor they it."""
    return (block.kind != "heading" and is_fragment(block.text)
            and all(blocks[a.block].kind == "heading" or is_fragment(blocks[a.block].text) for a in run))


def _estimate(atoms: Sequence[_Atom], overhead: int) -> int:
    return overhead + sum(a.tokens - overhead for a in atoms)


def _pack(atoms: list[_Atom], max_tokens: int, overhead: int, overlap: int) -> list[list[_Atom]]:
    """Greedy packing of consecutive atoms; with overlap > 0 a new group starts with up
    to `overlap` atoms of the previous one (when they fit beside the next atom)."""
    groups: list[list[_Atom]] = []
    current: list[_Atom] = []
    for atom in atoms:
        if current and _estimate(current + [atom], overhead) > max_tokens:
            groups.append(current)
            carried = current[-overlap:] if overlap and len(current) > overlap else []
            while carried and _estimate(carried + [atom], overhead) > max_tokens:
                carried = carried[1:]
            current = list(carried)
        current.append(atom)
    if current:
        groups.append(current)
    return groups


def _split_oversize(
    text: str,
    blocks: list[_Atom],
    leads: list[list[_Atom]],
    count_tokens: CountTokens,
    max_tokens: int,
    overhead: int,
    overlap: int,
) -> list[list[list[_Atom]]]:
    """For each oversize block atom, its list of groups of sentence (or smaller) atoms;
    the block's lead atoms (headings above it) open its first group."""
    sentences = [[(b.start + s, b.start + e) for s, e in split_sentences(text[b.start:b.end])] for b in blocks]
    flat = [span for spans in sentences for span in spans]
    counts = count_tokens([text[s:e] for s, e in flat]) if flat else []
    too_long = [span for span, c in zip(flat, counts, strict=True) if c > max_tokens]
    smaller = _split_long(text, too_long, count_tokens, max_tokens, overhead)
    count_of = dict(zip(flat, counts, strict=True))
    result = []
    for block, spans, lead in zip(blocks, sentences, leads, strict=True):
        atoms: list[_Atom] = list(lead)
        sentence_groups: list[list[_Atom]] = []
        for span in spans:
            if count_of[span] <= max_tokens:
                atoms.append(_Atom(span[0], span[1], count_of[span], block.block))
            else:
                # A long sentence stands alone: its word pieces, no overlap inside it.
                sentence_groups += _pack(atoms, max_tokens, overhead, overlap) if atoms else []
                atoms = []
                pieces = [_Atom(s, e, c, block.block) for s, e, c in smaller[span]]
                sentence_groups += _pack(pieces, max_tokens, overhead, 0)
        if atoms:
            sentence_groups += _pack(atoms, max_tokens, overhead, overlap)
        result.append(sentence_groups)
    return result


def _split_long(
    text: str, spans: list[tuple[int, int]], count_tokens: CountTokens, max_tokens: int, overhead: int
) -> dict[tuple[int, int], list[tuple[int, int, int]]]:
    """Each span cut into word (or character) pieces that fit, with their counts."""
    words = {span: _word_spans(text, *span) for span in spans}
    flat = [w for ws in words.values() for w in ws]
    counts = count_tokens([text[s:e] for s, e in flat]) if flat else []
    count_of = dict(zip(flat, counts, strict=True))
    result = {}
    for span, ws in words.items():
        pieces = []
        for w in ws:
            if count_of[w] <= max_tokens:
                pieces.append((w[0], w[1], count_of[w]))
            else:
                pieces += _split_chars(text, w, count_of[w], count_tokens, max_tokens, overhead)
        result[span] = pieces
    return result


def _word_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, i = [], start
    while i < end:
        while i < end and text[i].isspace():
            i += 1
        j = i
        while j < end and not text[j].isspace():
            j += 1
        if j > i:
            spans.append((i, j))
        i = j
    return spans


def _split_chars(
    text: str, span: tuple[int, int], tokens: int, count_tokens: CountTokens, max_tokens: int, overhead: int
) -> list[tuple[int, int, int]]:
    start, end = span
    per_char = max(tokens - overhead, 1) / (end - start)
    size = max(1, int((max_tokens - overhead) / per_char * 0.8))
    pending = [(s, min(s + size, end)) for s in range(start, end, size)]
    done: list[tuple[int, int, int]] = []
    while pending:
        counts = count_tokens([text[s:e] for s, e in pending])
        retry = []
        for (s, e), c in zip(pending, counts, strict=True):
            if c <= max_tokens or e - s == 1:
                done.append((s, e, c))
            else:
                mid = (s + e) // 2
                retry += [(s, mid), (mid, e)]
        pending = retry
    return sorted(done)


def _verify(text: str, groups: list[list[_Atom]], count_tokens: CountTokens, max_tokens: int) -> list[list[_Atom]]:
    """Count every group's real text; halve the ones over budget until all fit."""
    checked: dict[int, bool] = {}
    while True:
        todo = [i for i, g in enumerate(groups) if i not in checked and len(g) > 1]
        if not todo:
            return groups
        counts = count_tokens([text[groups[i][0].start:groups[i][-1].end] for i in todo])
        bad = {i for i, c in zip(todo, counts, strict=True) if c > max_tokens}
        if not bad:
            return groups
        fixed: list[list[_Atom]] = []
        new_checked: dict[int, bool] = {}
        for i, group in enumerate(groups):
            if i in bad:
                mid = len(group) // 2
                fixed += [group[:mid], group[mid:]]
            else:
                new_checked[len(fixed)] = True
                fixed.append(group)
        groups, checked = fixed, new_checked


def _make_chunk(n: int, text: str, group: list[_Atom], blocks: Sequence[Block], overhead: int) -> Chunk:
    start, end = group[0].start, group[-1].end
    covered = range(group[0].block, group[-1].block + 1)
    pages = [page for i in covered if (page := blocks[i].page) is not None]
    ends = [blocks[i].page_end or page for i in covered if (page := blocks[i].page) is not None]
    return Chunk(
        ord=n,
        text=text[start:end],
        char_start=start,
        char_end=end,
        page_start=min(pages) if pages else None,
        page_end=max(ends) if ends else None,
        heading=blocks[group[0].block].heading,
        ocr=any(blocks[i].ocr for i in covered),
        tokens=sum(a.tokens for a in group) - overhead * (len(group) - 1),   # each atom counted its own
    )


# A passage whose letters recur on at least this share of a document's pages (and on
# REPEAT_PAGES pages at least) is furniture, however OCR spelled it on each page.
NOISE_PAGE_SHARE = 0.5
# Only passages this short are compared fuzzily (a running header is a line): difflib on
# every pair of a long document's paragraphs that share trigrams cost seconds per PDF,
# and indexing ran 3x slower; longer passages count as repeats when their letters are equal.
NOISE_FUZZY_MAX = 200


def noise_flags(chunks: Sequence[Chunk]) -> list[bool]:
    """Which of a document's passages are no answer by meaning alone: fragments
    (core.text.is_fragment) and furniture that came through extraction as passages of
    their own (a running header the page-edge rule could not peel: the same letters,
    fuzzily, on half the document's pages or more; core.extract.furniture.fuzzy_canon).
    They are kept for keyword search and as context (Catalog writes the flag as
    ``chunks.noise``)."""
    flags = [is_fragment(c.text) for c in chunks]
    pages = {p for c in chunks for p in (c.page_start, c.page_end) if p is not None}
    if len(pages) < REPEAT_PAGES:
        return flags
    canon = fuzzy_canon(c.text for c in chunks if len(c.text) <= NOISE_FUZZY_MAX)

    keys = [canon.get(c.text) or "\0" + letters(c.text) for c in chunks]   # long: its letters, exactly
    seen: dict[str, set[int]] = {}
    for k, c in zip(keys, chunks, strict=True):
        if c.page_start is not None:
            seen.setdefault(k, set()).add(c.page_start)
    need = max(REPEAT_PAGES, NOISE_PAGE_SHARE * len(pages))
    return [f or len(seen.get(k, ())) >= need for f, k in zip(flags, keys, strict=True)]
