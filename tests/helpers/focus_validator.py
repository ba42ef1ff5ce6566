"""The FinOps Foundation's FOCUS validator (its own venv, `make focus-validator`) run on a FOCUS 1.2 parquet file,
with the applicability criteria AWS and GCP meet; known validator errors from tools/focus_validator."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "focus_validator"
VALIDATOR = TOOL / ".venv" / "bin" / "focus-validator"
KNOWN_ERRORS = TOOL / "known_validator_errors.txt"
CRITERIA = [
    "ACCOUNT_NAMING_SUPPORTED", "AVAILABILITY_ZONE_SUPPORTED", "CAPACITY_RESERVATION_SUPPORTED",
    "COMMITMENT_DISCOUNT_SUPPORTED", "MULTIPLE_PRICING_CATEGORIES_SUPPORTED", "NEGOTIATED_PRICING_SUPPORTED",
    "PUBLIC_PRICE_LIST_SUPPORTED", "USAGE_MEASUREMENT_SUPPORTED", "UNIT_PRICING_SUPPORTED", "SUB_ACCOUNT_SUPPORTED",
    "BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED", "RESOURCE_TYPE_ASSIGNMENT_SUPPORTED", "REGION_SUPPORTED",
    "TAGGING_SUPPORTED",
]
SUMMARY = re.compile(r"Total: (\d+) \| Pass: (\d+) \| Fail: (\d+) \| Skipped: (\d+)")
FAILED = re.compile(r"^❌ (\S+): FAIL", re.MULTILINE)


def known_errors() -> set[str]:
    lines = (line.strip() for line in KNOWN_ERRORS.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def run_validator(data_file: Path, workdir: Path) -> str:
    assert VALIDATOR.exists(), f"{VALIDATOR} is missing: run `make focus-validator` (make test builds it)"
    # The validator reads focus_validator/rules/currency_codes.csv relative to the working directory.
    packaged = next((TOOL / ".venv").glob("lib/python3*/site-packages/focus_validator/rules/currency_codes.csv"))
    (workdir / "focus_validator" / "rules").mkdir(parents=True, exist_ok=True)
    shutil.copy(packaged, workdir / "focus_validator" / "rules" / "currency_codes.csv")
    result = subprocess.run(
        [str(VALIDATOR), "--data-file", str(data_file), "--validate-version", "1.2", "--block-download",
         "--applicability-criteria", ",".join(CRITERIA), "--output-type", "console"],
        cwd=workdir, capture_output=True, text=True, timeout=600,
    )
    assert SUMMARY.search(result.stdout), f"validator exit {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout
