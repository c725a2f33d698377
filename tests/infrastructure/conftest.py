"""Two offline synths of the whole CDK app per session (~30-60 s each): the large profile with the default context,
and the small profile (the default of a new stage) with every optional context value; every test reads one."""

from __future__ import annotations

import pytest

from deploy.app import build
from tests.infrastructure.synth import STAGE, Synthesized


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    root = tmp_path_factory.mktemp("cdk")
    # An empty stand-in for the Lambda layer directory (`make synth` builds the real one).
    (root / "deps" / "python").mkdir(parents=True)
    outdir = root / "cdk.out"
    stacks = build(outdir, {"stage": STAGE, "lambda_deps_dir": str(root / "deps"), "profile": "large"})
    stacks.app.synth()  # raises ValidationFailed on any unacknowledged cdk-nag finding
    return Synthesized(stacks, outdir)


DOMAIN_CONTEXT = {
    "domain_name": "tasks.example.com",
    "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "hosted_zone_name": "example.com",
}
OPTIONS_CONTEXT = {
    **DOMAIN_CONTEXT,
    # No "profile": the default (small) is what a new stage gets.
    "replica_regions": "eu-west-1,us-west-2",
    "sms_monthly_spend_limit": "20",
    "attachments_replica_bucket_arn": "arn:aws:s3:::taskmanager-pro-ci-attachments-replica",
    # As `-c reserved_concurrency=...` passes it (text); by short name and by construct id.
    "reserved_concurrency": '{"Api": 50, "RemindersFn": 5}',
}


@pytest.fixture(scope="session")
def synthesized_with_options(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The small profile (no ``profile`` context: the default) with the optional context (custom domain, replicas,
    SMS cap...): a second synth for those and for the small profile's own tests (test_profiles.py)."""
    root = tmp_path_factory.mktemp("cdk-domain")
    (root / "deps" / "python").mkdir(parents=True)
    outdir = root / "cdk.out"
    stacks = build(outdir, {"stage": STAGE, "lambda_deps_dir": str(root / "deps"), **OPTIONS_CONTEXT})
    stacks.app.synth()
    return Synthesized(stacks, outdir)
