"""AWS Backup plans as calls: vaults in every Region involved, the plan, a tag selection.

A study's ``backup_plans`` that select a design become one AWS Backup plan per design
(``<study>-<design>-<plan>``), so destroying one design never touches another's plan.
Rule fields map one to one (``schedule`` -> ``ScheduleExpression`` in UTC,
``start_window_min``, ``completion_window_min``, ``lifecycle``, ``continuous`` ->
``EnableContinuousBackup``, ``copy_to`` -> ``CopyActions`` into a vault of the same name in
the copy Region). The selection picks the design's data-holding resources by their hadrsim
tags (``Conditions`` are ANDed; ``ListOfTags`` would OR them). A Multi-AZ DB cluster's or
Aurora design's ``backups.copy_to_region`` also becomes a plan here (daily snapshot copied to
that Region): automated backup replication exists for DB instances only.
"""

from __future__ import annotations

from hadrsim.aws.plan import PlanBuilder, Ref, Resource, Template

__all__ = ["plan_backups", "plan_copy_to_region"]

_DEFAULT_ROLE = "arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"


def plan_backups(b: PlanBuilder, role: str | None) -> None:
    """Add every study backup plan whose selection names this design (the kind's ``plan``
    hook says which resources AWS Backup selects in ``b.backup_arn``)."""
    for spec in b.study.backup_plans:
        if b.design.name in spec.selection:
            if b.backup_arn is None:
                b.note(f"backup plan {spec.name}: a {b.design.kind} design names no resource "
                       "AWS Backup can select; not planned")
                continue
            rules = [_rule(b, rule) for rule in spec.rules]
            _plan(b, spec.name, rules, role)


def plan_copy_to_region(b: PlanBuilder, region: str, retention_days: int) -> None:
    """``backups.copy_to_region`` of a cluster design: a daily plan copied to ``region``."""
    keep = max(1, retention_days)
    b.note(f"backups.copy_to_region {region}: clusters have no automated backup replication, "
           "so an AWS Backup plan copies a daily snapshot there (RPO up to a day, not the "
           "model's 10-min copy lag)")
    vault = _vault_name(b)
    rule = {"RuleName": "daily-copy", "TargetBackupVaultName": vault,
            "ScheduleExpression": "cron(0 5 ? * * *)", "ScheduleExpressionTimezone": "Etc/UTC",
            "Lifecycle": {"DeleteAfterDays": keep},
            "CopyActions": [{"DestinationBackupVaultArn": _vault_arn(region, vault),
                             "Lifecycle": {"DeleteAfterDays": keep}}]}
    _plan(b, "copy", [(rule, [region])], None)


def _vault_name(b: PlanBuilder) -> str:
    return b.id("vault")[:50]


def _vault_arn(region: str, vault: str, account: str | None = None):
    if account:
        return f"arn:aws:backup:{region}:{account}:backup-vault:{vault}"
    return Template(f"arn:aws:backup:{region}:{{account}}:backup-vault:{vault}")


def _lifecycle(cold: int | None, delete: int | None) -> dict:
    life = {}
    if cold is not None:
        life["MoveToColdStorageAfterDays"] = cold
    if delete is not None:
        life["DeleteAfterDays"] = delete
    return life


def _rule(b: PlanBuilder, rule) -> tuple[dict, list[str]]:
    vault = _vault_name(b)
    out = {"RuleName": rule.name, "TargetBackupVaultName": vault,
           "ScheduleExpression": rule.schedule, "ScheduleExpressionTimezone": "Etc/UTC",
           "StartWindowMinutes": rule.start_window_min,
           "CompletionWindowMinutes": rule.completion_window_min,
           "EnableContinuousBackup": rule.continuous,
           "RecoveryPointTags": b.tags(role="backup")}
    life = _lifecycle(rule.lifecycle.move_to_cold_storage_after_days,
                      rule.lifecycle.delete_after_days)
    if life:
        out["Lifecycle"] = life
    if rule.lifecycle.move_to_cold_storage_after_days is not None:
        b.note(f"rule {rule.name}: cold storage applies to the resource types AWS Backup tiers "
               "(not RDS/Aurora snapshots); AWS ignores it for those")
    copies, regions = [], []
    for copy in rule.copy_to:
        action = {"DestinationBackupVaultArn": _vault_arn(copy.region, vault, copy.account)}
        life = _lifecycle(None, copy.delete_after_days)
        if life:
            action["Lifecycle"] = life
        copies.append(action)
        if copy.account:
            b.note(f"rule {rule.name}: the vault {vault} in account {copy.account} "
                   f"({copy.region}) must exist there; hadrsim creates vaults in this account")
        else:
            regions.append(copy.region)
    if copies:
        out["CopyActions"] = copies
    return out, regions


def _plan(b: PlanBuilder, name: str, rules: list[tuple[dict, list[str]]],
          role: str | None) -> None:
    home, vault = b.writer["region"], _vault_name(b)
    tags = b.tags(role="backup")
    vaults = {}
    for region in [home] + sorted({r for _, regions in rules for r in regions} - {home}):
        key = Resource("backup:vault", region, vault, tags).key
        if not any(call.resource.key == key for call in b.calls):
            key = b.add("backup", region, "create_backup_vault",
                        {"BackupVaultName": vault, "BackupVaultTags": tags,
                         "CreatorRequestId": f"hadrsim-{vault}-{region}"[:50]},
                        Resource("backup:vault", region, vault, tags),
                        exists=f"describe_backup_vault(BackupVaultName={vault})",
                        purpose=f"backup vault in {region}"
                                + (" (copy destination)" if region != home else ""))
        vaults[region] = key
    plan_name = b.id(name)[:50]
    plan = b.add("backup", home, "create_backup_plan",
                 {"BackupPlan": {"BackupPlanName": plan_name, "Rules": [r for r, _ in rules]},
                  "BackupPlanTags": tags, "CreatorRequestId": plan_name},
                 Resource("backup:plan", home, plan_name, tags),
                 exists=f"list_backup_plans() named {plan_name}",
                 purpose="backup plan: " + "; ".join(
                     f"{r['RuleName']} {r['ScheduleExpression']}"
                     + (f" copied to {regions}" if regions else "") for r, regions in rules),
                 after=tuple(vaults.values()))
    conditions = [{"ConditionKey": f"aws:ResourceTag/hadrsim:{k}", "ConditionValue": v}
                  for k, v in (("study", b.study.name), ("design", b.design.name))]
    b.add("backup", home, "create_backup_selection",
          {"BackupPlanId": Ref(plan, "BackupPlanId"), "BackupSelection": {
              "SelectionName": plan_name, "IamRoleArn": role or Template(_DEFAULT_ROLE),
              "Resources": [b.backup_arn],
              "Conditions": {"StringEquals": conditions}}},
          Resource("backup:selection", home, plan_name, tags, {"plan": plan}),
          exists=f"list_backup_selections(plan {plan_name})",
          purpose=f"select the design's {b.backup_arn.split(':')[2]} resources by "
                  "hadrsim:study + hadrsim:design tags")
