"""One model of the demo store's shoppers, for demos, tests and benchmarks (never shipped
in a Lambda zip).

- `catalog`: the store's products, read from `sdk/demo/catalog.json` (the demo store
  page sells them and `clickstream catalog load` loads the same file).
- `shoppers`: how a visit goes (channel, device, country, bot or not, the funnel with
  its drop-offs), as the events a browser sends.
- `client`: those events posted through the real ingest API (`clickstream simulate`,
  `make demo`).
- `raw`: the same visits as the ingest stores them in S3 (the real enrichment applied),
  seeded, for the ETL's tests and `bench/etl.py`.
"""
