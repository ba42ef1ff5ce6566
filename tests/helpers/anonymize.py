"""The anonymization key of the tests (not a secret: the copies it makes live in temporary folders)."""

TEST_KEY = b"test-key-not-a-secret-0123456789"
