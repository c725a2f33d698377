"""Reading the synthesized templates: shared by the infrastructure tests (one synth per session, conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.app import Stacks

STAGE = "ci"


@dataclass(frozen=True)
class Synthesized:
    stacks: Stacks
    outdir: Path

    def template(self, which: str) -> dict[str, Any]:
        stack = getattr(self.stacks, which)
        template: dict[str, Any] = json.loads((self.outdir / f"{stack.stack_name}.template.json").read_text())
        return template

    def all_templates(self) -> list[dict[str, Any]]:
        return [
            json.loads((self.outdir / f"{stack.stack_name}.template.json").read_text()) for stack in self.stacks.all
        ]


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            yield from resource["Properties"]["PolicyDocument"]["Statement"]
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                yield from policy["PolicyDocument"]["Statement"]


def role_of(template: dict[str, Any], function_logical_id: str) -> str:
    return str(template["Resources"][function_logical_id]["Properties"]["Role"]["Fn::GetAtt"][0])


def statements_of_role(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role} in resource["Properties"]["Roles"]:
            found.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return found


def actions_of_role(template: dict[str, Any], role: str) -> set[str]:
    return {a for statement in statements_of_role(template, role) for a in as_list(statement["Action"])}


def function_by_handler(template: dict[str, Any], handler: str) -> str:
    (logical,) = [
        k for k, v in resources(template, "AWS::Lambda::Function").items() if v["Properties"].get("Handler") == handler
    ]
    return logical
