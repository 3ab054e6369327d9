// Condenses a target's observations into the few words a table shows. Pure.

import { vpcCidrs } from './inventory-view.js';
import type { AgentContext, Inventory, ProbeSummary, Target, TargetObservations } from './model.js';
import { ipInCidr } from './net/ip.js';
import { workloadResolvers } from './probe-plan.js';

const max = (values: number[]): number | undefined => (values.length > 0 ? Math.max(...values) : undefined);
const round = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.round(ms * 10) / 10;

export function summarizeObservations(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  observations: TargetObservations,
): ProbeSummary {
  const workload = new Set(workloadResolvers(context.resolvers).map((r) => r.address));
  const dns = observations.dns.find((o) => workload.has(o.resolver.address)) ?? observations.dns[0];
  let dnsLabel = 'skipped';
  if (dns) {
    if (dns.outcome === 'answer') {
      // Without the VPC's CIDRs there is no telling private from public: say only that it answered.
      const cidrs = vpcCidrs(inventory);
      const isPrivate = dns.addresses.every((ip) => cidrs?.some((cidr) => ipInCidr(ip, cidr)));
      dnsLabel = cidrs ? (isPrivate ? 'private' : 'public') : 'answered';
    } else {
      dnsLabel = dns.outcome;
    }
  }
  const tcp = observations.tcp;
  const connected = tcp.filter((o) => o.outcome === 'connected');
  let tcpLabel = 'skipped';
  if (tcp.length > 0) {
    const failed = tcp.find((o) => o.outcome !== 'connected');
    tcpLabel = !failed ? 'ok' : connected.length > 0 ? `partial (${failed.outcome})` : failed.outcome;
  }
  const tls = observations.tls;
  let tlsLabel = target.tls ? 'skipped' : 'n/a';
  if (tls.length > 0) tlsLabel = tls.find((o) => o.outcome !== 'ok')?.outcome ?? 'ok';
  const summary: ProbeSummary = {
    dns: dnsLabel,
    tcp: tcpLabel,
    tls: tlsLabel,
    addresses: [...new Set(tcp.map((o) => o.address))],
  };
  const dnsMs = round(dns?.durationMs);
  const tcpMs = round(max(connected.map((o) => o.durationMs)));
  const tlsMs = round(max(tls.filter((o) => o.outcome === 'ok').map((o) => o.durationMs)));
  if (dnsMs !== undefined) summary.dnsMs = dnsMs;
  if (tcpMs !== undefined) summary.tcpMs = tcpMs;
  if (tlsMs !== undefined) summary.tlsMs = tlsMs;
  return summary;
}
