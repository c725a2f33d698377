"""cdk-nag 3 acknowledgements: one call per rule, always with the reason written next to it."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, *rules: str, reason: str) -> None:
    """Acknowledge AwsSolutions rules (``"COG4"``) on ``construct`` and its children.

    cdk-nag 3 only matches the pack-prefixed id (``AwsSolutions::AwsSolutions-COG4``); an unprefixed id is accepted
    and silently matches nothing, so the prefix is added here, once.
    """
    if not reason.strip():
        raise ValueError("every acknowledgement needs a reason")
    Validations.of(construct).acknowledge(
        *(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason) for rule in rules)
    )
