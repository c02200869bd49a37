"""policy/__main__.py served the way the Pulumi CLI serves it: pulumi's policy host runs the folder and
the engine talks gRPC to the port it prints. No Pulumi CLI here: the tests play the engine's part."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from fleet.resource_types import LAUNCH_TEMPLATE
from policy import __main__ as pack

PACK = Path(__file__).resolve().parents[2] / "policy"
MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The engine address is only used for logging, which falls back to stderr without an engine.
    host = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=PACK,
    )
    try:
        assert host.stdout is not None
        port = host.stdout.readline().decode().strip()
        if not port.isdigit():
            pytest.fail(f"policy pack did not start: {port!r} {host.stderr.read().decode() if host.stderr else ''}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        host.terminate()
        host.wait(timeout=10)


def test_pack_serves_every_policy_of_the_rules_module_as_mandatory(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    served = {policy.name: policy.enforcementLevel for policy in info.policies}
    assert served == {policy.name: MANDATORY for policy in pack.POLICIES}


def test_engine_gets_mandatory_violations_and_no_failure_for_unknown_user_data(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    properties = struct_pb2.Struct()
    properties.update(
        {
            "keyName": "ops",
            "userData": UNKNOWN_STRING_VALUE,
            "metadataOptions": {"httpTokens": "required"},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}],
        }
    )
    request = analyzer_pb2.AnalyzeRequest(
        type=LAUNCH_TEMPLATE, properties=properties, urn="urn:pulumi:s::fleet::lt::web", name="web"
    )
    diagnostics = analyzer.Analyze(request).diagnostics
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [("launch-template-has-no-key-pair", MANDATORY)]
