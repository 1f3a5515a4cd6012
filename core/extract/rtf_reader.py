"""Rich Text Format (.rtf) with striprtf.

- striprtf turns RTF into plain text (destinations such as fonts, colours, pictures and
  document information are skipped; \\uN and \\'hh characters decoded with the code page
  the file declares); each paragraph (\\par) is a block.
- A file that does not start with "{\\rtf" is not RTF and is an error; an RTF file whose
  groups never close is read as far as it goes. Headings are not recognised (RTF marks
  them only through its style sheet).
- The title is the \\title of the information group when there is one.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.extract.clean import clean_block, clean_line
from core.types import ERROR, INDEXED, NO_TEXT, Block, ExtractResult

MAX_RTF_BYTES = 128 * 1024 * 1024
_TITLE = re.compile(r"\{\\title\s+([^{}\\]{1,300})\}")
_CODEPAGE = re.compile(r"\\ansicpg(\d+)")


def extract_rtf(path: Path) -> ExtractResult:
    from striprtf.striprtf import rtf_to_text

    raw = path.read_bytes()[: MAX_RTF_BYTES + 1]
    if len(raw) > MAX_RTF_BYTES:
        return ExtractResult(status=ERROR, error="RTF file larger than 128 MB: not read")
    if not raw.lstrip()[:5] == b"{\\rtf":
        return ExtractResult(status=ERROR, error="not an RTF file (it does not start with {\\rtf)")
    text = raw.decode("latin-1")          # RTF is 7-bit; bytes above 127 are escaped in it
    page = _CODEPAGE.search(text[:4096])
    encoding = f"cp{page.group(1)}" if page else "cp1252"
    try:
        plain = rtf_to_text(text, encoding=encoding, errors="replace")
    except LookupError:
        plain = rtf_to_text(text, encoding="cp1252", errors="replace")
    blocks = [Block(text=b) for b in (clean_block(line) for line in plain.split("\n")) if b]
    if not blocks:
        return ExtractResult(status=NO_TEXT, title=path.stem, error="the document has no text")
    found = _TITLE.search(text[:65536])
    title = clean_line(found.group(1)) if found else ""
    return ExtractResult(status=INDEXED, blocks=blocks, title=title if len(title) >= 3 else path.stem)
