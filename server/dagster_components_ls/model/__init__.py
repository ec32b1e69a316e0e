"""Pure data and text: positions, documents, schemas, templates (no I/O, no lsprotocol or pygls)."""
