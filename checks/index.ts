// Every check, by name: one module per kind, each a pure `Check` over the inventory snapshot
// and the probe observations. The runner runs them all for every target, in this order.
import type { Check, CheckName } from '../src/model.js';
import { checkDns } from './dns.js';
import { checkEndpoint } from './endpoint.js';
import { checkEndpointPolicy } from './endpoint-policy.js';
import { checkHttp } from './http.js';
import { checkIpv6 } from './ipv6.js';
import { checkNacl } from './nacl.js';
import { checkProfiles } from './profiles.js';
import { checkRoutes } from './routes.js';
import { checkSdkNames } from './sdk-names.js';
import { checkSecurityGroups } from './security-groups.js';
import { checkTcp } from './tcp.js';
import { checkTls } from './tls.js';

// `ipv6` is a module, not a finding's check: its findings carry dns, tcp, sg, nacl, route… (checks/ipv6.ts).
export const CHECKS: Partial<Record<CheckName | 'ipv6', Check>> = {
  profile: checkProfiles,
  endpoint: checkEndpoint,
  policy: checkEndpointPolicy,
  dns: checkDns,
  tcp: checkTcp,
  tls: checkTls,
  http: checkHttp,
  sdk: checkSdkNames,
  route: checkRoutes,
  sg: checkSecurityGroups,
  nacl: checkNacl,
  ipv6: checkIpv6,
};
