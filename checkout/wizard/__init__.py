"""The donation wizard: ordered steps, forms and views, drafts kept on the server."""
