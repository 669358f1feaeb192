"""FIS templates created for real on a moto server, and the fis-export command.

moto 5.2.1 implements CreateExperimentTemplate, DeleteExperimentTemplate and the tag calls;
it does not implement GetExperimentTemplate or ListExperimentTemplates, and it does not
validate action ids, parameters or targets (real FIS does). So these tests check what the
server stored (the create response, the template's tags, and the template that delete
returns), and idempotency by client token.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hadrsim.aws.fis import create_template, export_fis
from hadrsim.cli import app

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1"}
ROLE = "arn:aws:iam::123456789012:role/hadrsim-fis"
STUDY_YAML = """
name: shop
seed: 1
horizon_s: 3000
workload: {observed_clients: 2, client_regions: [us-east-1]}
alarms: [{name: write-errors, metric: write_error_rate, threshold: 0.5}]
designs:
  - {name: maz, kind: rds_multi_az_instance}
scenarios:
  - name: az
    stop_conditions: [write-errors]
    scheduled:
      - {kind: az_outage, target: primary_az, at_s: 300, duration_s: 600}
      - {kind: logical_corruption, target: primary, at_s: 900}
"""


@pytest.fixture()
def study_file(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(STUDY_YAML)
    return path


def test_create_template_stores_what_was_exported(aws, study_file):
    """The template FIS stored (read back through delete, the only read moto has) is the
    exported one; creating it again returns the same template (client token)."""
    from hadrsim import load_study

    study = load_study(study_file)
    export = export_fis(study, "az", "maz", role_arn=ROLE, account_id="123456789012")
    stored = create_template(aws, export)
    again = create_template(aws, export)
    assert again["id"] == stored["id"]
    fis = aws.client("fis", "us-east-1")
    tags = fis.list_tags_for_resource(resourceArn=stored["arn"])["tags"]
    assert tags["hadrsim:scenario"] == "az" and tags["hadrsim:design"] == "maz"
    removed = fis.delete_experiment_template(id=stored["id"])["experimentTemplate"]
    for key in ("actions", "targets", "stopConditions", "roleArn", "description"):
        assert removed[key] == export.template[key]
    assert removed["stopConditions"][0]["value"] == \
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-maz-write-errors"


def test_cli_creates_with_the_callers_account(moto_endpoint, aws, study_file, tmp_path):
    """--create reads the account from STS, creates the template and records its id."""
    out = tmp_path / "fis.json"
    result = CliRunner().invoke(app, [
        "fis-export", str(study_file), "--scenario", "az", "--create", "--role-arn", ROLE,
        "--endpoint-url", moto_endpoint, "--json", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["account_id"] == "123456789012"
    (template,) = doc["templates"]
    assert template["created"]["arn"].startswith("arn:aws:fis:us-east-1:123456789012:")
    assert template["unsupported"] == [{"fault": "scenarios.0.scheduled.1",
                                        "kind": "logical_corruption",
                                        "reason": template["unsupported"][0]["reason"]}]
    assert "unsupported scenarios.0.scheduled.1 (logical_corruption)" in result.output
    assert "${AWS::AccountId}" not in json.dumps(template["template"])


def test_dry_export_needs_no_aws(study_file, tmp_path, monkeypatch):
    """Without --create nothing is called: the account stays a CloudFormation token."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "fis.json"
    result = CliRunner().invoke(app, ["fis-export", str(study_file), "--scenario", "az",
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    template = json.loads(out.read_text())["templates"][0]["template"]
    assert template["roleArn"] == "arn:aws:iam::${AWS::AccountId}:role/hadrsim-fis"


@pytest.mark.parametrize("args, message", [
    (["--scenario", "nope"], "no such scenario"),
    (["--scenario", "az", "--create"], "--create needs --role-arn"),
    (["--scenario", "az", "--create", "--role-arn", ROLE, "--endpoint-url",
      "http://127.0.0.1:9"], "cannot reach the endpoint http://127.0.0.1:9"),
])
def test_bad_input_is_one_line_and_exit_2(study_file, tmp_path, args, message):
    """A wrong scenario, a missing role or an unreachable endpoint: exit 2, nothing written."""
    out = tmp_path / "fis.json"
    result = CliRunner().invoke(app, ["fis-export", str(study_file), *args, "--json",
                                      str(out)], env=ENV)
    assert result.exit_code == 2
    assert message in result.output
    assert "testing" not in result.output  # never a secret
    assert not out.exists()
