"""Build the FOCUS column table (include/focus/focus-<version>-columns.csv) from the spec's own files.

Reads the column files of a FOCUS_Spec release (a git directory, e.g. the mirror that `fetch
github:FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec` gives) at a ref: `specification/columns/columns.mdpp`
names the columns, each column's Markdown file gives its Column ID, Display Name, Content Constraints
(feature level, nulls, data type), allowed values and Introduced (version). Then applies a changes file
(`focus-<version>-changes.csv`) for releases the spec snapshot does not hold yet: a row adds a column (its
constraints from a spec file at another commit when `spec_file` names one, else from the row itself) or
removes one. Every output row says where it came from (`source`).

    python -m include.focus.column_table --spec-git /work/.mirror/...FOCUS_Spec/repo --ref v1.2 \
        --changes include/focus/focus-1.4-changes.csv --out include/focus/focus-1.4-columns.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

COLUMNS_DIR = "specification/columns"
INCLUDE = re.compile(r'^!INCLUDE\s+"([^"]+)"', re.MULTILINE)
COST_AND_USAGE = "Cost and Usage"


class SpecFormatError(ValueError):
    """A spec file or the changes file does not have the shape this reader expects (names the file)."""


@dataclass
class Column:
    column_id: str
    display_name: str
    dataset: str
    feature_level: str
    data_type: str
    allows_nulls: str
    allowed_values: str
    introduced_version: str
    removed_version: str
    source: str


def git_show(spec_git: Path, ref: str, path: str) -> str:
    result = subprocess.run(["git", "--git-dir", str(spec_git), "show", f"{ref}:{path}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SpecFormatError(f"{ref}:{path}: {result.stderr.strip()}")
    return result.stdout


def resolve(spec_git: Path, ref: str) -> str:
    return subprocess.run(["git", "--git-dir", str(spec_git), "rev-parse", f"{ref}^{{commit}}"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _section(text: str, title: str, where: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL | re.IGNORECASE)
    if not match:
        raise SpecFormatError(f"{where}: no '## {title}' section")
    return match.group(1).strip()


def _table_rows(block: str) -> list[list[str]]:
    rows = []
    for line in block.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            continue
        rows.append(cells)
    return rows


def parse_column(text: str, where: str) -> dict[str, str]:
    """One column file: its ID, display name, constraints, allowed values and version."""
    constraints = {row[0].lower(): row[1] for row in _table_rows(_section(text, "Content Constraints", where))
                   if len(row) >= 2}
    for key in ("feature level", "allows nulls", "data type"):
        if key not in constraints:
            raise SpecFormatError(f"{where}: Content Constraints has no '{key}' row")
    display_name = _section(text, "Display Name", where).splitlines()[0].strip()
    allowed: list[str] = []
    marker = re.search(r"^Allowed values:\s*$", text, re.MULTILINE | re.IGNORECASE)
    if marker:
        header, *values = _table_rows(text[marker.end():])
        # ServiceSubcategory's table is (Service Category, Service Subcategory, Description): take the column's own.
        index = header.index(display_name) if display_name in header else 0
        allowed = [row[index] for row in values]
    return {
        "column_id": _section(text, "Column ID", where).splitlines()[0].strip(),
        "display_name": display_name,
        "feature_level": constraints["feature level"],
        "data_type": constraints["data type"],
        "allows_nulls": constraints["allows nulls"],
        "allowed_values": ";".join(allowed),
        "introduced_version": _section(text, "Introduced (version)", where).splitlines()[0].strip(),
    }


def release_columns(spec_git: Path, ref: str) -> list[Column]:
    commit = resolve(spec_git, ref)
    mdpp = f"{COLUMNS_DIR}/columns.mdpp"
    files = INCLUDE.findall(git_show(spec_git, commit, mdpp))
    if not files:
        raise SpecFormatError(f"{ref}:{mdpp}: no !INCLUDE lines")
    columns = []
    for name in files:
        path = f"{COLUMNS_DIR}/{name}"
        parsed = parse_column(git_show(spec_git, commit, path), f"{ref}:{path}")
        columns.append(Column(**parsed, dataset=COST_AND_USAGE, removed_version="",
                              source=f"FOCUS_Spec {ref} {commit} {path}"))
    return columns


def apply_changes(columns: list[Column], changes_file: Path, spec_git: Path) -> list[Column]:
    """Add and remove columns as the changes file says; a change that does not apply is an error."""
    by_key = {(c.column_id, c.dataset): c for c in columns}
    with changes_file.open(newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{changes_file}:{line}"
            key = (row["column_id"], row["dataset"])
            if row["change"] == "remove":
                if key not in by_key:
                    raise SpecFormatError(f"{where}: removes {key}, which the release does not have")
                by_key[key].removed_version = row["version"]
                by_key[key].source += f"; removed: {row['source']}"
            elif row["change"] == "add":
                if key in by_key:
                    raise SpecFormatError(f"{where}: adds {key}, which already exists")
                values = {name: row[name] for name in ("column_id", "display_name", "feature_level", "data_type",
                                                       "allows_nulls", "allowed_values")}
                if row["spec_file"]:
                    commit, path = row["spec_file"].split(":", 1)
                    drafted = parse_column(git_show(spec_git, commit, path), f"{commit}:{path}")
                    # The draft's constraints; its ID and display name as the release renamed them.
                    values |= {name: drafted[name] for name in ("feature_level", "data_type", "allows_nulls")}
                    values |= {name: row[name] or drafted[name] for name in ("allowed_values",)}
                missing = [name for name, value in values.items() if not value and name != "allowed_values"]
                if missing:
                    raise SpecFormatError(f"{where}: {', '.join(missing)} empty")
                by_key[key] = Column(**values, dataset=row["dataset"], introduced_version=row["version"],
                                     removed_version="", source=row["source"])
            else:
                raise SpecFormatError(f"{where}: change must be add or remove, not {row['change']!r}")
    return sorted(by_key.values(), key=lambda c: (c.dataset != COST_AND_USAGE, c.dataset, c.column_id))


def write_table(columns: list[Column], out: Path) -> None:
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(Column)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(c) for c in columns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec-git", type=Path, required=True, help="FOCUS_Spec git directory")
    parser.add_argument("--ref", required=True, help="the release to read (tag or commit), e.g. v1.2")
    parser.add_argument("--changes", type=Path, help="changes after that release (add/remove rows)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    columns = release_columns(args.spec_git, args.ref)
    if args.changes:
        columns = apply_changes(columns, args.changes, args.spec_git)
    write_table(columns, args.out)
    print(f"{args.out}: {len(columns)} columns from {args.ref}" + (f" + {args.changes}" if args.changes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
