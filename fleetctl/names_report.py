"""What `fleetctl plan` and `fleetctl diff` say about the stack's names: its zone, records and certificates.

These are stack-wide: they belong to the long-lived load balancer and its listeners, never to a release, so a
change to them is reported beside the services, never as a release of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fleet.config_types import FleetConfig
from fleet.dns import certificate_names, validation_domains
from fleet.outputs import DnsOutputs
from fleet.resource_types import ACM_CERTIFICATE, DNS_RECORD, LISTENER_CERTIFICATE

if TYPE_CHECKING:  # the simulation imports Pulumi: only `plan` runs it, `check` and `diff` need not import it
    from fleetctl.simulation import ProgramRun

TITLE = "names and certificates (stack-wide: the load balancer's, never a release's)"


def hostnames(config: FleetConfig) -> dict[str, str]:
    """hostname -> service, in the order of the stack file."""
    return {hostname: service.name for service in config.services for hostname in service.hostnames}


def check_line(config: FleetConfig) -> str | None:
    """`fleetctl check`'s summary of the stack's names and certificates; None for a stack with neither."""
    if not config.https and config.dns is None:
        return None
    names = hostnames(config)
    zone = (
        f"zone {config.dns.zone_name} ({config.dns.zone_id}): {len(names)} alias record(s)"
        if config.dns
        else "no zone: no record"
    )
    if config.managed_certificate:
        certificate = f"managed certificate of {len(certificate_names(names))} name(s)"
    else:
        assert config.tls is not None
        extra = len(config.tls.additional_certificate_arns)
        certificate = "certificate tls.certificateArn" + (f", {extra} more by SNI" if extra else "")
    return f"  names: {zone}; {certificate}"


def plan_lines(config: FleetConfig, declared: ProgramRun, deployed: DnsOutputs | None) -> list[str]:
    """The plan's stack-wide section: records and certificates as the program declared them; with the stack's last
    `dns` output, what `pulumi up` changes of them. Empty for a stack without hostnames or TLS."""
    if not config.https and config.dns is None:
        return []
    lines = [TITLE]
    if config.dns is None:
        lines.append(
            "  DNS:            no zone (fleet:dns): fleet writes no record; point each hostname at the load "
            "balancer's DNS name (output loadBalancerDns) yourself, as an alias or CNAME"
        )
    else:
        aliases = [r for r in declared.of_type(DNS_RECORD) if r.inputs["type"] in ("A", "AAAA")]
        types = sorted({r.inputs["type"] for r in aliases})
        lines.append(f"  zone:           {config.dns.zone_name} ({config.dns.zone_id})")
        lines.append(
            f"  records:        {', '.join(dict.fromkeys(r.inputs['name'] for r in aliases))}: alias "
            f"{' and '.join(types)} to the load balancer"
            + ("" if "AAAA" in types else " (no AAAA: the load balancer is IPv4 only)")
        )
    certificates = declared.of_type(ACM_CERTIFICATE)
    if certificates:
        names = certificates[0].inputs["subjectAlternativeNames"]
        domains = validation_domains(names)
        lines.append(
            f"  certificate:    managed: one ACM certificate for {', '.join(names)}, validated by DNS with "
            f"{len(domains)} CNAME record(s) in the zone; the HTTPS listeners present it only once ACM has issued it"
        )
    elif config.tls is not None and config.tls.certificate_arn is not None:
        lines.append(f"  certificate:    {config.tls.certificate_arn} (tls.certificateArn)")
    attached = declared.of_type(LISTENER_CERTIFICATE)
    if attached:
        lines.append(
            "  SNI:            "
            + ", ".join(r.inputs["certificateArn"] for r in attached)
            + " on the shared HTTPS listener"
        )
    if deployed is not None:
        lines.append(f"  pulumi up:      {_up(config, deployed)}")
    return lines


def _up(config: FleetConfig, deployed: DnsOutputs) -> str:
    before = dict(deployed.hostnames)
    after = hostnames(config)
    changes = _record_changes(before, after)
    if config.managed_certificate:
        old, new = certificate_names(before), certificate_names(after)
        if not deployed.certificate_arn:
            changes.append("requests the managed certificate")
        elif old != new:
            changes.append(f"replaces the managed certificate ({_names_change(old, new)}), {_REPLACED}")
    return "; ".join(changes) if changes else "no change to records or certificates"


_REPLACED = "validated before the HTTPS listeners move to it, the old one deleted after"


def _record_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    added = [name for name in after if name not in before]
    removed = [name for name in before if name not in after]
    changes = []
    if added:
        changes.append(f"adds records for {', '.join(added)}")
    if removed:
        changes.append(f"deletes the records of {', '.join(removed)}")
    return changes


def _names_change(old: tuple[str, ...], new: tuple[str, ...]) -> str:
    parts = [f"+{name}" for name in new if name not in old] + [f"-{name}" for name in old if name not in new]
    return " ".join(parts)


def diff_lines(before: FleetConfig, after: FleetConfig) -> list[str]:
    """The diff's stack-wide lines about names and certificates: each a change of the load balancer's listeners or
    records, updated in place or replaced create-before-delete, never a release."""
    lines = []
    if before.dns != after.dns:
        lines.append(f"- **DNS** (stack-wide, no release): zone {_zone(before)} → {_zone(after)}")
    if before.dns is not None and after.dns is not None:
        changes = _record_changes(hostnames(before), hostnames(after))
        if changes:
            lines.append(f"- **DNS records** (stack-wide, no release): {'; '.join(changes)}")
    old_names = certificate_names(hostnames(before)) if before.managed_certificate else None
    new_names = certificate_names(hostnames(after)) if after.managed_certificate else None
    old_arn = before.tls.certificate_arn if before.tls else None
    new_arn = after.tls.certificate_arn if after.tls else None
    if (old_names, old_arn) != (new_names, new_arn):
        lines.append(
            f"- **certificate** (stack-wide, no release): {_certificate_change(old_names, old_arn, new_names, new_arn)}"
        )
    old_sni = set(before.tls.additional_certificate_arns if before.tls else ())
    new_sni = set(after.tls.additional_certificate_arns if after.tls else ())
    if old_sni != new_sni:
        parts = [f"+{arn}" for arn in sorted(new_sni - old_sni)] + [f"-{arn}" for arn in sorted(old_sni - new_sni)]
        lines.append(
            f"- **SNI certificates** (stack-wide, no release): {' '.join(parts)}; each new one is attached to the "
            "shared HTTPS listener before a removed one is detached"
        )
    return lines


def _zone(config: FleetConfig) -> str:
    return f"{config.dns.zone_name} ({config.dns.zone_id})" if config.dns else "none"


def _certificate_change(
    old_names: tuple[str, ...] | None, old_arn: str | None, new_names: tuple[str, ...] | None, new_arn: str | None
) -> str:
    old = "managed" if old_names is not None else (old_arn or "none (HTTP only)")
    new = "managed" if new_names is not None else (new_arn or "none (HTTP only)")
    if old_names is not None and new_names is not None:
        return f"the managed certificate is replaced ({_names_change(old_names, new_names)}), {_REPLACED}"
    if new_names is not None:
        return f"{old} → managed: fleet requests a certificate for {', '.join(new_names)}, {_REPLACED}"
    return f"{old} → {new}: the HTTPS listeners present the new certificate, updated in place"
