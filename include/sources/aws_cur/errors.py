"""The error every CUR input problem raises."""


class CurInputError(RuntimeError):
    """A CUR file or manifest that cannot be read as it should; the message names the object."""
