"""``hadrsim plan / apply / destroy`` end to end: the CLI against a moto server over HTTP.

Credentials come from the environment (fake, unique keys) and must appear nowhere in what
the commands print or write; nor may the master password apply generates.
"""

from __future__ import annotations

import json
import sys
import time

import pytest
import yaml
from aws_plan_support import MOTO_SKIP, STUDY_FILES, extended_data
from typer.testing import CliRunner

from hadrsim.cli import app

ACCESS_KEY = "AKIAHADRSIMTESTKEY42"
SECRET_KEY = "hadrsimFakeSecretKey/NeverPrinted+0123456789"
MOTO_ARGS = [f"--skip={op}={why}" for op, why in MOTO_SKIP.items()] + ["--allow-unimplemented"]


def _env(**extra):
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None,
           "AWS_CONFIG_FILE": "/nonexistent/hadrsim-config",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/hadrsim-credentials",
           "AWS_EC2_METADATA_DISABLED": "true"}
    env.update(extra)
    return env


def _run(*args, env=None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env or _env())


@pytest.fixture
def extended_file(tmp_path):
    path = tmp_path / "extended.yaml"
    path.write_text(yaml.safe_dump(extended_data()))
    return path


def test_plan_prints_the_calls_and_writes_json(tmp_path):
    out = tmp_path / "plan.json"
    result = _run("plan", STUDY_FILES["securecart"], "--design", "multi-az-dr", "--json", out)
    assert result.exit_code == 0, result.output
    assert "create_db_instance_read_replica" in result.stdout and "us-west-2" in result.stdout
    document = json.loads(out.read_text())
    assert [c["operation"] for c in document["calls"]] == [
        "create_secret", "create_db_instance", "create_db_instance_read_replica"]
    assert document["calls"][1]["params"]["MasterUserPassword"].startswith("<password read")


@pytest.mark.parametrize("args", [
    ["--design", "nope"],
    ["--design", "multi-az", "--dms-source-url", "postgresql://u:hunter2@db.example.com/shop",
     "--dms-source-secret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
     "--dms-role", "arn:aws:iam::123456789012:role/r"],
    ["--design", "multi-az", "--json", "/nonexistent-dir/plan.json"],
])
def test_plan_bad_input_exits_2_with_one_line(args):
    result = _run("plan", STUDY_FILES["securecart"], *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error:")
    assert "hunter2" not in result.output


def test_apply_again_destroy_via_cli_never_prints_credentials_or_passwords(
        aws, moto_endpoint, extended_file, tmp_path):
    """apply makes the design and names what moto skipped; a second apply makes nothing;
    destroy removes it; keys and the generated master password appear nowhere."""
    common = [extended_file, "--design", "multi-az-dr", "--endpoint-url", moto_endpoint]
    first = _run("apply", *common, *MOTO_ARGS, "--json", tmp_path / "apply.json")
    assert first.exit_code == 0, first.output
    assert "skipped step 12 create_backup_selection" in first.stdout
    assert "moto 5.2 has no backup selections" in first.stdout
    again = _run("apply", *common, *MOTO_ARGS)
    assert again.exit_code == 0 and "nothing new" in again.stdout
    password = json.loads(aws.client("secretsmanager", "us-east-1").get_secret_value(
        SecretId="hadrsim/securecart-multi-az-dr/master")["SecretString"])["password"]
    refused = _run("destroy", *common, *MOTO_ARGS)
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    gone = _run("destroy", *common, *MOTO_ARGS, "--yes", "--json", tmp_path / "destroy.json")
    assert gone.exit_code == 0, gone.output
    assert json.loads((tmp_path / "destroy.json").read_text())["counts"]["deleted"] >= 10
    assert aws.client("rds", "us-east-1").describe_db_instances()["DBInstances"] == []
    assert "nothing new" in _run("destroy", *common, *MOTO_ARGS, "--yes").stdout
    written = (tmp_path / "apply.json").read_text() + (tmp_path / "destroy.json").read_text()
    for text in (first.stdout, first.stderr, again.output, gone.stdout, gone.stderr, written):
        for secret in (ACCESS_KEY, SECRET_KEY, password):
            assert secret not in text


def test_a_failed_call_exits_1_and_lists_what_was_made(aws, moto_endpoint):
    aws.client("rds", "us-east-1").create_db_instance(
        DBInstanceIdentifier="securecart-multi-az-dr", DBInstanceClass="db.t3.micro",
        Engine="postgres", MasterUsername="someone", ManageMasterUserPassword=True,
        AllocatedStorage=20)
    result = _run("apply", STUDY_FILES["securecart"], "--design", "multi-az-dr",
                  "--endpoint-url", moto_endpoint, *MOTO_ARGS)
    assert result.exit_code == 1
    assert "stopped at step 2 create_db_instance securecart-multi-az-dr" in result.stderr
    assert "made: hadrsim/securecart-multi-az-dr/master" in result.stdout


def test_unreachable_endpoint_exits_2_within_seconds():
    start = time.monotonic()
    result = _run("apply", STUDY_FILES["securecart"], "--design", "single-az",
                  "--endpoint-url", "http://127.0.0.1:9")
    assert time.monotonic() - start < 10
    assert result.exit_code == 2 and "cannot reach the endpoint" in result.stderr
    assert result.stderr.count("\n") == 1


def test_no_credentials_exits_2_with_one_line():
    env = _env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    result = _run("destroy", STUDY_FILES["securecart"], "--design", "single-az", "--yes",
                  "--endpoint-url", "http://127.0.0.1:9", env=env)
    assert result.exit_code == 2 and "no AWS credentials" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("args", [
    ["--design", "nope", "--endpoint-url", "http://127.0.0.1:9"],
    ["--design", "single-az", "--endpoint-url", "127.0.0.1:9"],
    ["--design", "single-az", "--skip", "=why"],
])
def test_apply_bad_input_exits_2(args):
    result = _run("apply", STUDY_FILES["securecart"], *args)
    assert result.exit_code == 2 and result.stderr.startswith("error:")


def test_without_boto3_the_aws_commands_say_how_to_install_it(monkeypatch):
    """plan needs no boto3; apply and destroy print the install line and exit 2."""
    monkeypatch.setitem(sys.modules, "boto3", None)
    result = _run("apply", STUDY_FILES["securecart"], "--design", "single-az")
    assert result.exit_code == 2 and "pip install 'hadrsim[aws]'" in result.stderr
    assert _run("plan", STUDY_FILES["securecart"], "--design", "single-az").exit_code == 0
