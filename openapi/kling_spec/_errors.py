"""The one error the spec tooling raises."""


class SpecError(ValueError):
    """The spec, the overlay or a constraint in them is not what the tooling expects."""
