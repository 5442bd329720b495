"""The static Pod checker: loading, schema, API-server validation, QoS, PSS and lints."""
