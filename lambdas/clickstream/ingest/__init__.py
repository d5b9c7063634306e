"""The ingest Lambda: authenticate, validate, enrich, anonymise and store events."""
