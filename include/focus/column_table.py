"""Build the FOCUS column table (include/focus/focus-<version>-columns.csv) from the spec's own files.

Two layouts of the spec are read:

- A FOCUS_Spec release in a git directory (e.g. the mirror that `fetch
  github:FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec` gives) at a ref: `specification/columns/columns.mdpp`
  names the columns, each column's Markdown file gives its Column ID, Display Name, Content Constraints
  (feature level, nulls, data type), allowed values and Introduced (version). An optional changes file
  (`focus-<version>-changes.csv`) adds or removes columns after that release.
- The post-1.2 layout (`specification/datasets/<dataset>/dataset.md` and `.../columns/*.md`), saved into a
  folder (`--spec-dir`) because the git snapshot ends at v1.2: each dataset's `dataset.md` Columns table
  names its columns with feature level, nulls and data type; a saved column file gives the Column ID,
  allowed values and introduced version, else the v1.2 file of the same name does (`--spec-git`). The folder's
  `SOURCES.csv` (file, version, note) says which commit each file was read at. Columns the table lists but
  whose file says they came after `--version` are left out; v1.2 Cost and Usage columns the table no longer
  lists are kept as removed in `--version`.

Every output row says where it came from (`source`).

    python -m include.focus.column_table --spec-git /work/.mirror/...FOCUS_Spec/repo --ref v1.2 \
        --spec-dir /tmp/focus-spec --version 1.4 --out include/focus/focus-1.4-columns.csv
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
# --spec-dir folders, as the spec names them (specification/datasets/<folder>)
DATASETS = {"cost_and_usage": COST_AND_USAGE, "billing_period": "Billing Period"}
# Drafts spell the Date/Time type "Datetime"; the dataset tables and released files say Date/Time.
DATA_TYPE_SPELLINGS = {"datetime": "Date/Time"}
LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
VERSION = re.compile(r"(\d+(?:\.\d+)+)(?:-[\w.]+)?")  # 1.2, 1.0-preview


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


def _section(text: str, title: str, where: str, *aliases: str) -> str:
    """A `## title` section's text (the newer files add `<!--SkipTOC-->` or rename a heading: aliases)."""
    for heading in (title, *aliases):
        match = re.search(rf"^## {re.escape(heading)}(?:<!--.*?-->)?[ \t]*\n(.*?)(?=^## |\Z)", text,
                          re.MULTILINE | re.DOTALL | re.IGNORECASE)
        if match:
            return match.group(1).strip()
    raise SpecFormatError(f"{where}: no '## {title}' section")


def _plain(cell: str) -> str:
    """A table cell without Markdown links or code marks: `[Conditional](#conditions.x)` -> `Conditional`."""
    return LINK.sub(r"\1", cell).replace("`", "").strip()


def _version(line: str) -> str:
    """`1.3 Introduced as a replacement for ...` -> `1.3`; a line without a version number stays as it is."""
    match = VERSION.match(line.strip())
    return match.group(0) if match else line.strip()


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
    # v1.2 files put the list under an "Allowed values:" line, newer ones under a "## Allowed Values" section.
    marker = re.search(r"^(?:Allowed values:|## Allowed Values)\s*$", text, re.MULTILINE | re.IGNORECASE)
    if marker:
        header, *values = _table_rows(text[marker.end():])
        # ServiceSubcategory's table is (Service Category, Service Subcategory, Description): take the column's own.
        index = header.index(display_name) if display_name in header else 0
        allowed = [_plain(row[index]) for row in values]
    data_type = _plain(constraints["data type"])
    return {
        "column_id": _section(text, "Column ID", where).splitlines()[0].strip(),
        "display_name": display_name,
        "feature_level": _plain(constraints["feature level"]),
        "data_type": DATA_TYPE_SPELLINGS.get(data_type.lower(), data_type),
        "allows_nulls": _plain(constraints["allows nulls"]),
        "allowed_values": ";".join(allowed),
        "introduced_version": _version(
            _section(text, "Introduced (version)", where, "Version Introduced").splitlines()[0]),
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


def _read_sources(spec_dir: Path) -> dict[str, dict[str, str]]:
    path = spec_dir / "SOURCES.csv"
    if not path.is_file():
        raise SpecFormatError(f"{path}: missing (file,version,note: where each saved spec file was read)")
    with path.open(newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def _spec_file(spec_dir: Path, sources: dict[str, dict[str, str]], name: str) -> tuple[str, str]:
    """A saved spec file's text and its provenance (`FOCUS_Spec <version> specification/datasets/<file>`)."""
    if name not in sources:
        raise SpecFormatError(f"{spec_dir / 'SOURCES.csv'}: no row for {name} (which version of the spec is it?)")
    return (spec_dir / name).read_text(), f"FOCUS_Spec {sources[name]['version']} specification/datasets/{name}"


def _newer(version: str, than: str) -> bool:
    def key(text: str) -> tuple[int, ...]:
        match = VERSION.fullmatch(text)
        return tuple(int(part) for part in match.group(1).split(".")) if match else ()
    return bool(key(version)) and key(version) > key(than)


def dataset_table(text: str, where: str) -> list[dict[str, str]]:
    """A dataset.md Columns table: display name, the column file's name (from the link), level, nulls, type."""
    header, *rows = _table_rows(_section(text, "Columns", where))
    index = {name.lower(): i for i, name in enumerate(header)}
    missing = [name for name in ("column", "feature level", "allows nulls", "data type") if name not in index]
    if missing:
        raise SpecFormatError(f"{where}: Columns table has no {', '.join(missing)} column")
    columns = []
    for row in rows:
        link = LINK.fullmatch(row[index["column"]].strip())
        if not link:
            raise SpecFormatError(f"{where}: Columns row {row[0]!r} does not link to its column")
        columns.append({"display_name": link.group(1).strip(), "file": link.group(2).rsplit(".", 1)[-1] + ".md",
                        "feature_level": _plain(row[index["feature level"]]),
                        "allows_nulls": _plain(row[index["allows nulls"]]),
                        "data_type": _plain(row[index["data type"]])})
    return columns


def spec_dir_columns(spec_dir: Path, version: str, spec_git: Path | None, ref: str | None) -> list[Column]:
    """The columns of every dataset saved under spec_dir (see the module docstring), at `version`."""
    sources = _read_sources(spec_dir)
    released = {}
    if spec_git is not None and ref is not None:
        commit = resolve(spec_git, ref)
        released = {name: f"{COLUMNS_DIR}/{name}"
                    for name in INCLUDE.findall(git_show(spec_git, commit, f"{COLUMNS_DIR}/columns.mdpp"))}
    columns: list[Column] = []
    for folder, dataset in DATASETS.items():
        table_name = f"{folder}/dataset.md"
        if not (spec_dir / table_name).is_file():
            continue
        text, table_source = _spec_file(spec_dir, sources, table_name)
        for entry in dataset_table(text, str(spec_dir / table_name)):
            file_name = f"{folder}/columns/{entry['file']}"
            if (spec_dir / file_name).is_file():
                column_text, column_source = _spec_file(spec_dir, sources, file_name)
                parsed = parse_column(column_text, str(spec_dir / file_name))
            elif dataset == COST_AND_USAGE and entry["file"] in released:
                path = released[entry["file"]]
                parsed = parse_column(git_show(spec_git, commit, path), f"{ref}:{path}")
                column_source = f"FOCUS_Spec {ref} {commit} {path}"
            else:
                raise SpecFormatError(f"{spec_dir / table_name}: no column file for {entry['display_name']} "
                                      f"(save {file_name}, or give --spec-git and --ref of a release that has it)")
            if _newer(parsed["introduced_version"], version):
                continue  # the table's text is newer than the release asked for
            # The dataset table gives the constraints; a column file that says otherwise is named in `source`.
            disagree = [f"column file says {name.replace('_', ' ')} {parsed[name]}"
                        for name in ("feature_level", "allows_nulls", "data_type") if parsed[name] != entry[name]]
            columns.append(Column(
                column_id=parsed["column_id"], display_name=entry["display_name"], dataset=dataset,
                feature_level=entry["feature_level"], data_type=entry["data_type"],
                allows_nulls=entry["allows_nulls"], allowed_values=parsed["allowed_values"],
                introduced_version=parsed["introduced_version"], removed_version="",
                source="; ".join([f"constraints: {table_source}", f"ID, allowed values, version: {column_source}",
                                  *disagree])))
        if dataset == COST_AND_USAGE and released:
            listed = {c.column_id for c in columns if c.dataset == COST_AND_USAGE}
            for old in release_columns(spec_git, ref):
                if old.column_id not in listed:
                    old.removed_version = version
                    old.source += f"; removed: not in {table_source}"
                    columns.append(old)
    if not columns:
        raise SpecFormatError(f"{spec_dir}: no <dataset>/dataset.md ({', '.join(DATASETS)})")
    return sorted(columns, key=lambda c: (c.dataset != COST_AND_USAGE, c.dataset, c.column_id))


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
    parser.add_argument("--spec-git", type=Path, help="FOCUS_Spec git directory")
    parser.add_argument("--ref", help="the release to read there (tag or commit), e.g. v1.2")
    parser.add_argument("--spec-dir", type=Path, help="saved post-1.2 spec files (<dataset>/dataset.md, "
                                                       "<dataset>/columns/*.md, SOURCES.csv)")
    parser.add_argument("--version", help="with --spec-dir: the release the table is for, e.g. 1.4")
    parser.add_argument("--changes", type=Path, help="changes after the release (add/remove rows)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.spec_dir:
        if not args.version:
            parser.error("--spec-dir needs --version")
        columns = spec_dir_columns(args.spec_dir, args.version, args.spec_git, args.ref)
        origin = f"{args.spec_dir}" + (f" + {args.ref}" if args.ref else "")
    elif args.spec_git and args.ref:
        columns = release_columns(args.spec_git, args.ref)
        origin = args.ref
    else:
        parser.error("give --spec-git and --ref, or --spec-dir")
    if args.changes:
        columns = apply_changes(columns, args.changes, args.spec_git)
    write_table(columns, args.out)
    print(f"{args.out}: {len(columns)} columns from {origin}" + (f" + {args.changes}" if args.changes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
