"""The hand-written SDK for Kling image expansion: submit, wait, retry safely, download."""

__all__: list[str] = []
