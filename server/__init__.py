"""The timbra core: policy, engine, plugins, persistence, ingestion, web, CLI."""
