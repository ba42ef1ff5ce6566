"""Every run proves its numbers: after a target's build, compare its figures layer by layer.

Per provider and period (month), to the cent: `checks` holds the catalogue of checks, `runner` evaluates
them, records each result in `finops.reconciliation_checks` and fails the task on a miss.
"""

from include.reconciliation.checks import CHECKS, Check
from include.reconciliation.runner import (
    ReconciliationError,
    evaluate,
    failure_message,
    record,
    run_checks,
    unmatched_tag_keys,
)

__all__ = ["CHECKS", "Check", "ReconciliationError", "evaluate", "failure_message", "record", "run_checks",
           "unmatched_tag_keys"]
