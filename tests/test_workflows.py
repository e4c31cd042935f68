"""The GitHub Actions workflows: actionlint finds nothing, they keep to least privilege and pinning, and the
daily workflow's shell steps do what they say (run here, with a stand-in generator and a local remote)."""

from __future__ import annotations

import os
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
BOT = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"


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
    """Every step of every job; a job that calls a reusable workflow (`uses:`) has none."""
    return [step for job in workflow["jobs"].values() if "uses" not in job for step in job["steps"]]


def write_scopes(workflow: dict[Any, Any], job: dict[str, Any]) -> set[str]:
    """The scopes a job may write: its own permissions, or the workflow's when it sets none."""
    permissions = job.get("permissions", workflow["permissions"])
    assert isinstance(permissions, dict), permissions  # not read-all / write-all
    return {scope for scope, level in permissions.items() if level == "write"}


def step_running(job: dict[str, Any], text: str) -> dict[str, Any]:
    (step,) = [step for step in job["steps"] if text in step.get("run", "")]
    return step


def run_step(step: dict[str, Any], cwd: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run a step's `run:` as the runner does (bash -eo pipefail); return it and what it wrote to $GITHUB_OUTPUT."""
    output = cwd.parent / "github_output"
    output.write_text("", encoding="utf-8")
    environment = {"PATH": os.environ["PATH"], "HOME": str(cwd.parent), "GIT_CONFIG_NOSYSTEM": "1"}
    environment |= {"GITHUB_OUTPUT": str(output), "GITHUB_REF": "refs/heads/main", **env}
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    lines = output.read_text(encoding="utf-8").splitlines()
    return result, dict(line.split("=", 1) for line in lines)


def git(cwd: Path, *args: str) -> str:
    environment = {"PATH": os.environ["PATH"], "HOME": str(cwd.parent), "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=Someone", "-c", "user.email=someone@example.org"]
    result = subprocess.run(["git", *identity, *args], cwd=cwd, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def copy_with_major_versions(target: Path) -> Path:
    """The workflows with `@v5.0.0` written `@v5`: actionlint knows each action's inputs and
    outputs by major version, so this is how it checks them too. The `.git` folder marks the
    project's root, where actionlint finds the workflows a job calls (`uses: ./.github/workflows/...`)."""
    folder = target / ".github" / "workflows"
    folder.mkdir(parents=True)
    (target / ".git").mkdir()
    for path in WORKFLOWS.glob("*.yml"):
        text = re.sub(r"(uses: [\w.-]+/[\w.-]+@v\d+)\.\d+\.\d+", r"\1", path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(text, encoding="utf-8")
    return target


def test_actionlint_passes() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["daily.yml", "publish.yml", "test.yml"]
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
    # The call of publish.yml from daily.yml is checked against publish.yml's inputs, and the
    # outputs it passes against the update job's.
    daily = folder / ".github" / "workflows" / "daily.yml"
    text = daily.read_text(encoding="utf-8")
    assert "ref: ${{ needs.update.outputs.ref }}" in text
    daily.write_text(text.replace("ref: ${{ needs.update.outputs.ref }}", "reff: ${{ needs.update.outputs.sha }}"))
    result = lint(folder)
    assert 'input "reff" is not defined in "./.github/workflows/publish.yml" reusable workflow' in result.stdout
    assert 'property "sha" is not defined' in result.stdout


@pytest.mark.parametrize("name", ["daily.yml", "test.yml", "publish.yml"])
def test_actions_are_pinned_to_exact_versions(name: str) -> None:
    workflow = load(name)
    uses = [step["uses"] for step in steps(workflow) if "uses" in step]
    assert uses
    for action in uses:
        assert EXACT_TAG.match(action) or SHA.match(action), action
    for job in workflow["jobs"].values():  # a called workflow is this repository's own, at the same commit
        assert job.get("uses", "./.github/workflows/").startswith("./.github/workflows/"), job["uses"]


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
    assert set(workflow["on"]) == {"push", "workflow_dispatch", "workflow_call"}
    assert workflow["on"]["push"] == {"branches": ["main"]} and workflow["on"]["workflow_dispatch"] is None
    # Callable (by daily.yml) with the commit to build; without it, the commit the run is for.
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert list(inputs) == ["ref"]
    assert (inputs["ref"]["type"], inputs["ref"].get("required", False), inputs["ref"].get("default", "")) == (
        "string",
        False,
        "",
    )
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
    assert by_action["actions/checkout"]["with"] == {"ref": "${{ inputs.ref }}"}
    assert build["steps"][0] is by_action["actions/checkout"]
    (site,) = [step for step in build["steps"] if step.get("run") == "make site"]
    assert site["env"] == {"SITE_URL": "${{ steps.pages.outputs.base_url }}/"}


def test_daily_workflow_runs_every_day_and_by_hand() -> None:
    workflow = load("daily.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, *day_month_weekday = schedule["cron"].split()
    assert minute.isdigit() and hour.isdigit() and day_month_weekday == ["*", "*", "*"]  # once a day, every day
    # One run at a time, a second waiting; not in publish.yml's group, which the called deploy holds.
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["concurrency"]["group"] != load("publish.yml")["concurrency"]["group"]


def test_daily_workflow_least_privilege() -> None:
    workflow = load("daily.yml")
    assert workflow["permissions"] in ({}, {"contents": "read"})
    jobs = workflow["jobs"]
    writes = {name: write_scopes(workflow, job) for name, job in jobs.items()}
    assert writes == {"update": {"contents"}, "deploy": {"pages", "id-token"}, "report": set()}
    # The one job that may write to the repository is the one that pushes.
    pushes = [
        name for name, job in jobs.items() if any("git push" in step.get("run", "") for step in job.get("steps", []))
    ]
    assert pushes == ["update"]
    # publish.yml's build job reads contents and pages: a called workflow gets no more than its caller's job.
    assert jobs["deploy"]["permissions"]["contents"] == "read"
    assert jobs["deploy"]["permissions"]["pages"] in ("read", "write")


def test_daily_workflow_updates_then_commits() -> None:
    workflow = load("daily.yml")
    update = workflow["jobs"]["update"]
    assert update["steps"][0]["uses"].startswith("actions/checkout@")
    assert update["steps"][0].get("with", {}).get("persist-credentials", True) is not False  # git push needs them
    publish = {step["uses"].split("@")[0]: step for step in steps(load("publish.yml")) if "uses" in step}
    (python,) = [step for step in update["steps"] if step.get("uses", "").startswith("actions/setup-python@")]
    assert python["with"] == publish["actions/setup-python"]["with"]  # 3.11, pip's cache
    runs = [step.get("run", "") for step in update["steps"]]
    order = ["make setup", "generator fetch --refresh", "generator enrich", "generator build", "git commit"]
    found = [next(i for i, run in enumerate(runs) if text in run) for text in order]
    assert found == sorted(found) and len(set(found)) == len(found), dict(zip(order, found, strict=True))
    for text in order[1:4]:
        assert step_running(update, text)["run"].startswith(".venv/bin/python -m generator ")
    # The token: from the secrets, to the two steps that ask Hugging Face, and never in a shell line.
    with_token = [step for step in steps(workflow) if "HF_TOKEN" in step.get("env", {})]
    assert with_token == [step_running(update, "generator fetch"), step_running(update, "generator enrich")]
    assert {step["env"]["HF_TOKEN"] for step in with_token} == {"${{ secrets.HF_TOKEN }}"}
    assert not any("HF_TOKEN" in step.get("run", "") for step in steps(workflow))
    assert "env" not in workflow and not any("env" in job for job in workflow["jobs"].values())
    assert (WORKFLOWS / "daily.yml").read_text(encoding="utf-8").count("secrets.") == 2


def test_daily_workflow_deploys_what_it_pushed_and_fails_last() -> None:
    workflow = load("daily.yml")
    jobs = workflow["jobs"]
    update, deploy, report = jobs["update"], jobs["deploy"], jobs["report"]
    # The deploy is publish.yml, called with the commit the update job pushed.
    assert deploy["uses"] == "./.github/workflows/publish.yml"
    assert deploy["needs"] == "update"
    assert deploy["with"] == {"ref": "${{ needs.update.outputs.ref }}"}
    commit = step_running(update, "git push")
    assert update["outputs"]["ref"] == f"${{{{ steps.{commit['id']}.outputs.ref }}}}"
    assert update["outputs"]["pushed"] == f"${{{{ steps.{commit['id']}.outputs.pushed }}}}"
    # ... when it pushed, or was started by hand; not after a failed update (so not always() or !cancelled()).
    condition = deploy["if"]
    assert "needs.update.outputs.pushed == 'true'" in condition
    assert "github.event_name == 'workflow_dispatch'" in condition
    assert "always()" not in condition and "cancelled()" not in condition
    # A failed fetch or lookup is recorded, not fatal, and fails the run in a job after the deploy,
    # which runs even when the deploy was skipped (nothing new) or failed.
    for name, text in [("fetch", "generator fetch"), ("enrich", "generator enrich")]:
        step = step_running(update, text)
        assert update["outputs"][f"{name}_failed"] == f"${{{{ steps.{step['id']}.outputs.failed }}}}"
        assert f"needs.update.outputs.{name}_failed == 'true'" in report["if"]
    assert set(report["needs"]) == {"update", "deploy"}
    assert "!cancelled()" in report["if"] and "always()" not in report["if"]


@pytest.mark.parametrize(("name", "text"), [("fetch", "generator fetch --refresh"), ("enrich", "generator enrich")])
def test_daily_failed_fetch_or_enrich_is_recorded_and_the_job_goes_on(tmp_path: Path, name: str, text: str) -> None:
    step = step_running(load("daily.yml")["jobs"]["update"], text)
    work = tmp_path / "work"
    (work / ".venv" / "bin").mkdir(parents=True)
    python = work / ".venv" / "bin" / "python"
    python.write_text('#!/bin/sh\necho "$@" >> ../calls\nexit "$EXIT"\n', encoding="utf-8")
    python.chmod(0o755)
    result, outputs = run_step(step, work, EXIT="1")
    assert (result.returncode, outputs) == (0, {"failed": "true"}), result.stderr
    result, outputs = run_step(step, work, EXIT="0")
    assert (result.returncode, outputs) == (0, {}), result.stderr
    assert (tmp_path / "calls").read_text(encoding="utf-8").splitlines() == [f"-m {text}"] * 2


def test_daily_commit_step_commits_digests_only_when_they_changed(tmp_path: Path) -> None:
    step = step_running(load("daily.yml")["jobs"]["update"], "git push")
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    (work / "digests").mkdir()
    (work / "digests" / "urls.tsv").write_text("2501.00001\tpapers/a/\n", encoding="utf-8")
    git(work, "add", "digests")
    git(work, "commit", "--quiet", "-m", "Start")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "--quiet", "origin", "main")
    start = git(work, "rev-parse", "HEAD")
    # Nothing changed in digests/ (the build's pages elsewhere do not count): no commit, no push.
    (work / "site_src").mkdir()
    (work / "site_src" / "index.md").write_text("# Papers\n", encoding="utf-8")
    result, outputs = run_step(step, work)
    assert (result.returncode, outputs) == (0, {"ref": start}), result.stderr
    assert git(work, "rev-parse", "HEAD") == git(remote, "rev-parse", "refs/heads/main") == start
    # A new digest and a new URL: committed as the bot, pushed to the branch the run is on.
    (work / "digests" / "2025-03-11.json").write_text("[]\n", encoding="utf-8")
    (work / "digests" / "urls.tsv").write_text("2501.00001\tpapers/a/\n2503.00002\tpapers/b/\n", encoding="utf-8")
    result, outputs = run_step(step, work)
    assert result.returncode == 0, result.stderr
    head = git(work, "rev-parse", "HEAD")
    assert head != start and outputs == {"pushed": "true", "ref": head}
    assert git(remote, "rev-parse", "refs/heads/main") == head
    assert git(work, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == f"{BOT}|{BOT}"
    changed = git(work, "diff-tree", "--no-commit-id", "--name-only", "-r", "HEAD").splitlines()
    assert changed == ["digests/2025-03-11.json", "digests/urls.tsv"]
    assert git(work, "status", "--porcelain") == "?? site_src/"


def test_daily_report_job_fails_and_says_why(tmp_path: Path) -> None:
    (step,) = load("daily.yml")["jobs"]["report"]["steps"]
    (tmp_path / "work").mkdir()
    result, _ = run_step(step, tmp_path / "work", FETCH_FAILED="true", ENRICH_FAILED="")
    assert result.returncode != 0
    assert result.stdout.startswith("::error::Some days could not be fetched") and "enrichment" not in result.stdout
    result, _ = run_step(step, tmp_path / "work", FETCH_FAILED="", ENRICH_FAILED="true")
    assert result.returncode != 0 and result.stdout.startswith("::error::Some enrichment searches failed")
    assert step["env"] == {
        "FETCH_FAILED": "${{ needs.update.outputs.fetch_failed }}",
        "ENRICH_FAILED": "${{ needs.update.outputs.enrich_failed }}",
    }
