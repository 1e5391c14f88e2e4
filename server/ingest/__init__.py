"""Ingest: stamps from terminals over MQTT into the database, exactly once.

The order of things is the durability contract: decode, write, commit, and
only then acknowledge (the MQTT PUBACK and the timbra `ack` the terminal waits
for). A crash anywhere before the commit leaves the stamp in the terminal's
queue, and the unique key (institution, terminal, seq) makes every replay harmless,
whichever of several ingest processes it reaches (docs/ingest.md).
"""
