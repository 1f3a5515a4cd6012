-- Passages read by OCR (scanned PDF pages, images) are marked, so the window can say so
-- and searches can keep or leave them out (owner: core/extract OCR, issue 19).
ALTER TABLE chunks ADD COLUMN ocr INTEGER NOT NULL DEFAULT 0;
