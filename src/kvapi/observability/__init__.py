"""Metrics, logs and traces: what the service tells its operators."""
