"""The office's domain services: requests, corrections, month close, reports, fees, admin.

Each function takes a SQLAlchemy `Session`, adds to it and flushes; the caller
(a web page, the JSON API, a test) commits. What they enforce is listed in
`server/office/README.md`. Nothing is imported here, so the ingest path can use
`server.office.engine_inputs` without loading the whole package.
"""
