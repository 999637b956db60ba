"""A TeamViewer-like SCIM 2.0 service: ASGI app, SQLite store, faults, control API."""
