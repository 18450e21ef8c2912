"""The seed agencies: one module per agency rule set, each a pluggy plugin.

Each module implements only the hooks where the agency differs from the core's defaults
(:mod:`offduty_core.defaults`).
"""
