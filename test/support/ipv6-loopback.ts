// Whether a test can use ::1: IPv6 may be disabled in a container. Tests that need it skip with
// this reason instead of failing on the machine's configuration.
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Undefined when ::1 is configured on the loopback interface; else why the IPv6 tests skip. */
export function ipv6LoopbackProblem(): string | undefined {
  try {
    if (readFileSync('/proc/sys/net/ipv6/conf/lo/disable_ipv6', 'utf8').trim() === '1')
      return 'IPv6 is disabled on lo (net.ipv6.conf.lo.disable_ipv6=1)';
  } catch {
    // Not Linux, or no IPv6 in the kernel at all: the interface list below decides.
  }
  const loopback = Object.values(os.networkInterfaces())
    .flat()
    .some((info) => info?.family === 'IPv6' && info.address === '::1');
  return loopback ? undefined : '::1 is not configured on this machine';
}
