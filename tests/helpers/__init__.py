"""Plain functions and constants the tests share (no fixtures: those are in tests/fixtures/, registered by
tests/conftest.py). Test modules import from here, never from another test module or a conftest."""
