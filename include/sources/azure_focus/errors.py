"""The error every FOCUS export input problem raises."""


class FocusExportError(RuntimeError):
    """A manifest or data blob of an Azure FOCUS export that cannot be read as it should; the message
    names the blob (and the column and row where there is one)."""
