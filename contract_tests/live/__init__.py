"""The client-facing contract against the real service: opt-in, ``make contract-live``."""
