"""Batch clickstream analytics: ingest API, ETL, warehouse and the local stack."""

__version__ = "0.1.0"
