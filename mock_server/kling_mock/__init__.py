"""An offline mock of the Kling image-expansion service, driven by the resolved spec."""

__all__: list[str] = []
