-- Documents inside a container file (a message of an mbox, an attachment of a message, a
-- member of an archive: issue 28). Such a row's path is the container's stored path,
-- then core.pathnames.MEMBER_SEP and the member's names; container_id is the document row
-- of the file that holds it, and goes with that row. member_start/member_end are an mbox
-- message's byte range. sender, recipients, sent_at: a mail message's (owner: core/catalog.py).
ALTER TABLE documents ADD COLUMN container_id INTEGER;
ALTER TABLE documents ADD COLUMN member_start INTEGER;
ALTER TABLE documents ADD COLUMN member_end INTEGER;
ALTER TABLE documents ADD COLUMN sender TEXT;
ALTER TABLE documents ADD COLUMN recipients TEXT;
ALTER TABLE documents ADD COLUMN sent_at REAL;
CREATE INDEX documents_container ON documents(container_id);
