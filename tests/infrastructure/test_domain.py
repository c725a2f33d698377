"""The optional custom domain: Route 53 zone from context (no lookup), ACM certificate, alias records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.app import build
from tests.infrastructure.conftest import DOMAIN_CONTEXT
from tests.infrastructure.synth import STAGE, Synthesized, resources

DOMAIN = DOMAIN_CONTEXT["domain_name"]


def test_without_a_domain_the_default_cloudfront_name_is_used(synthesized: Synthesized) -> None:
    site = synthesized.template("site")
    assert not resources(site, "AWS::CertificateManager::Certificate")
    assert not resources(site, "AWS::Route53::RecordSet")
    (distribution,) = resources(site, "AWS::CloudFront::Distribution").values()
    assert "Aliases" not in distribution["Properties"]["DistributionConfig"]


def test_domain_gets_a_dns_validated_certificate_and_alias_records(synthesized_with_options: Synthesized) -> None:
    report = json.loads((synthesized_with_options.outdir / "validation-report.json").read_text())
    assert [v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]] == []
    site = synthesized_with_options.template("site")
    (certificate,) = resources(site, "AWS::CertificateManager::Certificate").values()
    assert certificate["Properties"]["DomainName"] == DOMAIN
    assert certificate["Properties"]["ValidationMethod"] == "DNS"
    assert certificate["Properties"]["DomainValidationOptions"] == [
        {"DomainName": DOMAIN, "HostedZoneId": DOMAIN_CONTEXT["hosted_zone_id"]}
    ]
    (distribution,) = resources(site, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"
    records = [r["Properties"] for r in resources(site, "AWS::Route53::RecordSet").values()]
    assert sorted(r["Type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record["HostedZoneId"] == DOMAIN_CONTEXT["hosted_zone_id"]
        assert record["Name"] == f"{DOMAIN}."
        assert "AliasTarget" in record


def test_links_in_mails_use_the_custom_domain(synthesized_with_options: Synthesized) -> None:
    stateless = synthesized_with_options.template("stateless")
    urls = {
        f["Properties"]["Environment"]["Variables"]["TMP_APP_URL"]
        for f in resources(stateless, "AWS::Lambda::Function").values()
        if "Environment" in f["Properties"]
    }
    assert urls == {f"https://{DOMAIN}"}


def test_outside_us_east_1_a_certificate_arn_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    (tmp_path / "deps" / "python").mkdir(parents=True)
    with pytest.raises(ValueError, match="certificate_arn"):
        build(tmp_path / "out", {"stage": STAGE, "lambda_deps_dir": str(tmp_path / "deps"), **DOMAIN_CONTEXT})
