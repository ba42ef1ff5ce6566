"""The deploy workflow decides DAG-only vs image deploy from every commit of the push (before..after)."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def step_script(name: str) -> str:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    (job,) = workflow["jobs"].values()
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return step["run"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t"}).stdout.strip()


def commit(repo: Path, path: str) -> str:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(path + str(len(git(repo, "log", "--oneline", "--all").splitlines())))
    git(repo, "add", path)
    git(repo, "commit", "-qm", path)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q")
    commit(tmp_path, "dags/a.py")
    return tmp_path


def decide(repo: Path, before: str, after: str):
    return subprocess.run(["bash", "-e", "-c", step_script("Refuse a DAG-only deploy of an image change")], cwd=repo,
                          env={**os.environ, "BEFORE": before, "AFTER": after}, capture_output=True, text=True)


def test_an_image_change_anywhere_in_the_push_needs_an_image_deploy(repo):
    before = git(repo, "rev-parse", "HEAD")
    commit(repo, "include/loaders/aws.py")  # not the push's last commit: HEAD~1..HEAD misses it
    after = commit(repo, "dags/aws_costs.py")
    result = decide(repo, before, after)
    assert result.returncode == 1 and "include/loaders/aws.py" in result.stdout
    assert "changes the image" in result.stdout


def test_a_push_of_dag_files_only_deploys_dags(repo):
    before = git(repo, "rev-parse", "HEAD")
    commit(repo, "dags/aws_costs.py")
    after = commit(repo, "dags/gcp_costs.py")
    result = decide(repo, before, after)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DAG-only deploy" in result.stdout


@pytest.mark.parametrize("before", ["", "0" * 40, "1234567890abcdef1234567890abcdef12345678"],
                         ids=["empty", "all-zeros-new-branch", "commit-not-in-the-repository"])
def test_an_unknown_push_start_asks_for_an_image_deploy(repo, before):
    result = decide(repo, before, git(repo, "rev-parse", "HEAD"))
    assert result.returncode == 1 and "cannot tell which commits" in result.stdout
