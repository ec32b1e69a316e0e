"""LSP answers as functions of a document and its context: completion, hover, definition..."""
