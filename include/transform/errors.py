"""The errors of the transformation run; each message names the model, file or setting at fault."""


class SqlFileError(RuntimeError):
    """A statement of a model failed; the message names the file and the statement."""


class MissingRawDataError(RuntimeError):
    """A provider's models ran before its load task had landed any raw data (a first install)."""


class SqlConfigError(ValueError):
    """The SQL configuration (Variable `finops_sql_config`, periods, seeds) is invalid."""


class ModelError(ValueError):
    """A model's SQL or YAML is inconsistent: unknown ref, a ref to a layer above, a missing YAML entry."""
