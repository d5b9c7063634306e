"""The local stand-ins for AWS: moto, an API Gateway adapter, PostgreSQL, a scheduler."""
