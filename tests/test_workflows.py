"""The GitHub Actions workflows: actionlint finds nothing, and they keep to least privilege and pinning."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
EXACT_TAG = re.compile(r"^[\w.-]+/[\w.-]+@v\d+\.\d+\.\d+$")
SHA = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def actionlint() -> str:
    """The actionlint installed with the test dependencies."""
    found = Path(sys.executable).parent / "actionlint"
    return str(found) if found.is_file() else shutil.which("actionlint") or "actionlint"


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run actionlint over a project folder's .github/workflows."""
    files = sorted(str(p) for p in (folder / ".github" / "workflows").glob("*.yml"))
    return subprocess.run([actionlint(), "-no-color", "-oneline", *files], cwd=folder, capture_output=True, text=True)


def load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def copy_with_major_versions(target: Path) -> Path:
    """The workflows with `@v5.0.0` written `@v5`: actionlint knows each action's inputs and
    outputs by major version, so this is how it checks them too."""
    folder = target / ".github" / "workflows"
    folder.mkdir(parents=True)
    for path in WORKFLOWS.glob("*.yml"):
        text = re.sub(r"(uses: [\w.-]+/[\w.-]+@v\d+)\.\d+\.\d+", r"\1", path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(text, encoding="utf-8")
    return target


def test_actionlint_passes() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["publish.yml", "test.yml"]
    result = lint(REPO)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_checks_action_inputs_and_outputs(tmp_path: Path) -> None:
    folder = copy_with_major_versions(tmp_path / "majors")
    result = lint(folder)
    assert (result.returncode, result.stdout) == (0, "")
    # And it does look: a misspelt input or output is reported.
    publish = folder / ".github" / "workflows" / "publish.yml"
    text = publish.read_text(encoding="utf-8")
    publish.write_text(text.replace("path: site", "paht: site").replace("outputs.base_url", "outputs.base_ur"))
    result = lint(folder)
    assert result.returncode == 1
    assert 'input "paht" is not defined in action "actions/upload-pages-artifact@v4"' in result.stdout
    assert 'property "base_ur" is not defined' in result.stdout


@pytest.mark.parametrize("name", ["test.yml", "publish.yml"])
def test_actions_are_pinned_to_exact_versions(name: str) -> None:
    uses = [step["uses"] for step in steps(load(name)) if "uses" in step]
    assert uses
    for action in uses:
        assert EXACT_TAG.match(action) or SHA.match(action), action


def test_test_workflow_runs_what_ci_runs() -> None:
    workflow = load("test.yml")
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    runs = [step["run"] for step in steps(workflow) if "run" in step]
    assert runs == ["make test", "make site"]
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    cache = [step for step in steps(workflow) if step.get("uses", "").startswith("actions/cache@")]
    assert cache and cache[0]["with"]["path"] == "~/.cache/pip"


def test_publish_workflow_least_privilege_one_deploy_at_a_time() -> None:
    workflow = load("publish.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    by_action = {step["uses"].split("@")[0]: step for step in steps(workflow) if "uses" in step}
    assert by_action["actions/setup-python"]["with"]["cache"] == "pip"
    assert by_action["actions/upload-pages-artifact"]["with"]["path"] == "site"
    assert "actions/deploy-pages" in by_action
    (site,) = [step for step in build["steps"] if step.get("run") == "make site"]
    assert site["env"] == {"SITE_URL": "${{ steps.pages.outputs.base_url }}/"}
