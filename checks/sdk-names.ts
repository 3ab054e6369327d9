// Whether the names an SDK may call instead of the endpoint's (STS's global name, dual-stack and
// FIPS names; src/sdk-names.ts) stay inside the VPC. A workload whose SDK calls a name no
// endpoint serves leaves through NAT or fails, while every probe of the endpoint's own name
// passes: the classic is the global STS name beside a working regional STS endpoint.

import type { Check, Finding, SdkNameObservation } from '../src/model.js';
import { isPrivateIpv4 } from '../src/net/ip.js';
import { STS_GLOBAL_NAME } from '../src/sdk-names.js';

/**
 * Per SDK, how to keep STS regional. Sources: AWS SDKs and Tools Reference Guide, "AWS STS
 * Regional endpoints" (sts_regional_endpoints / AWS_STS_REGIONAL_ENDPOINTS); AWS Developer Tools
 * Blog, "Updating AWS SDK defaults – AWS STS service endpoint and Retry Strategy" (the Python,
 * PHP, C++ and .NET SDKs and Tools for PowerShell default to regional from their 31 July 2025
 * releases; AWS CLI v1 keeps the global default).
 */
const STS_FIX =
  'Make the SDK call the regional name: set AWS_STS_REGIONAL_ENDPOINTS=regional in the workload environment, or `sts_regional_endpoints = regional` in its AWS config profile. ' +
  'It matters for AWS CLI v1 (global by default), boto3/botocore, the PHP, C++ and .NET SDKs and Tools for PowerShell released before 31 July 2025 (global by default; later releases default to regional), and older SDK majors that documented `legacy` as their default (JavaScript v2, Java v1). ' +
  'JavaScript v3, Go v2, Java v2, Rust and Kotlin default to regional. Upgrading the SDK also fixes it.';

function describeAnswer(o: SdkNameObservation): string {
  const dns = o.dns;
  if (dns.outcome === 'answer') return dns.addresses.join(', ');
  return dns.rcode ?? dns.outcome;
}

function placeOf(o: SdkNameObservation): 'public' | 'private' | 'unresolved' {
  const dns = o.dns;
  if (dns.outcome !== 'answer' || dns.addresses.length === 0) return 'unresolved';
  return dns.addresses.every(isPrivateIpv4) ? 'private' : 'public';
}

function evidenceOf(o: SdkNameObservation): Record<string, unknown> {
  return {
    kind: o.kind,
    hostname: o.hostname,
    endpointServes: o.endpointServes,
    resolver: o.dns.resolver.address,
    outcome: o.dns.outcome,
    addresses: o.dns.addresses,
    ...(o.dns.rcode ? { rcode: o.dns.rcode } : {}),
  };
}

const KIND_WORDS: Record<SdkNameObservation['kind'], string> = {
  'sts-global': 'the global STS name',
  dualstack: 'the dual-stack name',
  fips: 'the FIPS name',
};

export const checkSdkNames: Check = (input) => {
  const { target, observations } = input;
  const names = observations.sdkNames ?? [];
  const findings: Finding[] = [];
  for (const o of names) {
    const place = placeOf(o);
    const evidence = { ...evidenceOf(o), targetHostname: target.hostname, endpointId: target.endpointId };
    const words = KIND_WORDS[o.kind];
    if (o.kind === 'sts-global' && place === 'public') {
      findings.push({
        check: 'sdk',
        code: 'STS_GLOBAL_ENDPOINT_BYPASS',
        status: 'warn',
        message: `${target.shortName}: ${STS_GLOBAL_NAME} resolves to public addresses (${describeAnswer(o)}) through ${o.dns.resolver.address}, while ${target.hostname} is served by ${target.endpointId ?? 'an endpoint'} in this VPC: an SDK that calls the global name bypasses the endpoint (through NAT, or fails without it)`,
        fix: STS_FIX,
        evidence,
      });
    } else if (place === 'public') {
      findings.push({
        check: 'sdk',
        code: 'SDK_NAME_PUBLIC',
        status: 'info',
        message: `${target.shortName}: ${words} ${o.hostname} resolves to public addresses (${describeAnswer(o)})${o.endpointServes ? '' : '; no VPC endpoint serves it'}: an SDK configured for it (${o.kind === 'fips' ? 'AWS_USE_FIPS_ENDPOINT / use_fips_endpoint' : 'AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint'}) leaves the VPC`,
        evidence,
      });
    } else if (place === 'private') {
      findings.push({
        check: 'sdk',
        code: 'SDK_NAME_PRIVATE',
        status: 'pass',
        message: `${target.shortName}: ${words} ${o.hostname} resolves inside the VPC (${describeAnswer(o)})`,
        evidence,
      });
    } else {
      findings.push({
        check: 'sdk',
        code: 'SDK_NAME_UNRESOLVED',
        status: 'info',
        message: `${target.shortName}: ${words} ${o.hostname} does not resolve through ${o.dns.resolver.address} (${describeAnswer(o)}): an SDK configured for it fails here`,
        evidence,
      });
    }
  }
  return findings;
};
