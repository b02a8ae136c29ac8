"""Contract tests: the spec, the SDK and the mock server accept and refuse the same requests.

Helpers live beside the tests: :mod:`.oracle` (an independent reading of the
spec), :mod:`.strategies` (Hypothesis strategies built from any spec copy),
:mod:`.images` (real Pillow images) and :mod:`.spec_variants` (spec copies with
a bound moved).
"""
