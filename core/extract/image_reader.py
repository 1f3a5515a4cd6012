"""Image files (.png .jpg .jpeg .tif .tiff), read by OCR (core.extract.scanned).

Each frame is a page (a multi-page TIFF has several); every block is marked ocr=True.
With OCR turned off an image is "no_text" with that reason; an image in which OCR finds
no text is "no_text" too. An image Pillow cannot decode is an "error".
"""

from __future__ import annotations

from pathlib import Path

from core.extract.clean import short_reason
from core.extract.options import ExtractOptions, PageProgress
from core.types import ERROR, INDEXED, NO_TEXT, ExtractResult


def extract_image(path: Path, options: ExtractOptions | None = None,
                  progress: PageProgress | None = None) -> ExtractResult:
    if not (options or ExtractOptions()).ocr:
        return ExtractResult(status=NO_TEXT, title=path.stem, error="an image (OCR is turned off)")
    from PIL import UnidentifiedImageError

    from core.extract.scanned import ImageTooLarge, ocr_image_file

    try:
        blocks, frames = ocr_image_file(path, progress)
    except (UnidentifiedImageError, ImageTooLarge) as exc:
        reason = str(exc) if isinstance(exc, ImageTooLarge) else "not an image Pillow can read"
        return ExtractResult(status=ERROR, title=path.stem, error=reason)
    except (OSError, SyntaxError, ValueError) as exc:   # truncated or corrupt image data
        return ExtractResult(status=ERROR, title=path.stem, error=f"a damaged image ({short_reason(exc)})")
    if not blocks:
        return ExtractResult(status=NO_TEXT, pages=frames, title=path.stem,
                             error="no text found in the image by OCR")
    return ExtractResult(status=INDEXED, blocks=blocks, pages=frames, title=path.stem)
