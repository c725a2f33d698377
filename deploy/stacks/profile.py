"""Deployment profiles: what a stage runs, chosen by one context value (``-c profile=small|large``).

``small`` (the default for a new stage) is the lowest fixed monthly cost this architecture allows (docs/operations.md
§2: ≈ $28 before the first user): one Fargate task on Fargate Spot in public subnets (a public IP instead of a NAT
gateway), Reflex's own state manager in that one process instead of ElastiCache, live updates through a Redis
sidecar in the same task (the live Lambda reaches it through a private DNS name; no NAT), Cognito's Essentials plan,
no WAF, a handful of account-level alarms and no dashboard.

``large`` is the shape for real traffic: autoscaled tasks on on-demand Fargate behind NAT, Multi-AZ ElastiCache
Redis for state and live updates, Cognito Plus with threat protection, both WAF web ACLs, every alarm and the
dashboard. When to move from one to the other: deploy/README.md ("Profiles").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_PROFILE = "small"


@dataclass(frozen=True)
class Profile:
    name: str
    # ElastiCache Redis (Multi-AZ): Reflex's state manager + the live updates' pub/sub; without it one task, Reflex's
    # own state manager and a Redis sidecar in the task for live updates only.
    elasticache: bool
    nat_gateway: bool  # tasks in private subnets behind a NAT gateway; without it public subnets + a public IP
    spot: bool  # Fargate Spot (a 2-minute warning, then the task is replaced)
    min_tasks: int
    max_tasks: int
    cognito_plus: bool  # Plus feature plan with threat protection; otherwise Essentials (10 000 MAU free)
    waf: bool  # the CLOUDFRONT web ACL (edge stack, us-east-1) and the API stage's REGIONAL one
    container_insights: bool
    all_alarms: bool  # per function / table / queue alarms + the dashboard; otherwise a few account-level alarms
    budget_usd: float  # default of context budget_amount: above the profile's fixed baseline

    @property
    def one_task(self) -> bool:
        return self.max_tasks == 1


SMALL = Profile(
    name="small",
    elasticache=False,
    nat_gateway=False,
    spot=True,
    min_tasks=1,
    max_tasks=1,
    cognito_plus=False,
    waf=False,
    container_insights=False,
    all_alarms=False,
    budget_usd=50,
)
LARGE = Profile(
    name="large",
    elasticache=True,
    nat_gateway=True,
    spot=False,
    min_tasks=2,
    max_tasks=6,
    cognito_plus=True,
    waf=True,
    container_insights=True,
    all_alarms=True,
    # A large stage's fixed baseline is ~$140 a month (docs/operations.md): a lower default would alarm monthly.
    budget_usd=200,
)
PROFILES = {p.name: p for p in (SMALL, LARGE)}


def profile_from_context(
    name: Any, *, min_tasks: Any = None, max_tasks: Any = None, budget_amount: Any = None
) -> Profile:
    """The profile named by context ``profile`` (default small), with ``reflex_min_tasks``/``reflex_max_tasks`` and
    ``budget_amount`` applied. More than one task needs the shared state manager: only ``large`` allows it."""
    chosen = PROFILES.get(str(name or DEFAULT_PROFILE).strip().lower())
    if chosen is None:
        raise ValueError(f"context profile must be one of {sorted(PROFILES)}, not {name!r}")
    low = int(min_tasks) if min_tasks not in (None, "") else chosen.min_tasks
    high = int(max_tasks) if max_tasks not in (None, "") else max(chosen.max_tasks, low)
    if not 1 <= low <= high:
        raise ValueError(f"reflex_min_tasks/reflex_max_tasks must satisfy 1 <= min <= max, not {low}/{high}")
    if high > 1 and not chosen.elasticache:
        raise ValueError(
            "more than one Reflex task needs a shared state manager (ElastiCache Redis): use -c profile=large"
        )
    budget = float(budget_amount) if budget_amount not in (None, "") else chosen.budget_usd
    return Profile(**{**chosen.__dict__, "min_tasks": low, "max_tasks": high, "budget_usd": budget})
