// Reverse-path filtering for tunnels. Decapsulated packets arrive on the tunnel device while the route back to
// their source may be native (auto mode during a switch, or a remote node whose own choice differs), and native
// replies may arrive on the underlay device while we reach their source through the tunnel. Strict rp_filter (1)
// drops both. The kernel uses max(conf/all, conf/DEV): setting DEV to loose (2) gives loose whatever `all` says.
// Loose is not enough on a device without an IPv4 address: the kernel (__fib_validate_source) then drops every
// packet whose source is routed through another device, whatever the mode (Ubuntu's default all=2 does it), so the
// tunnel device also carries the node's underlay address as a host-scoped /32 (vxlan.ts).
import { readFileSync, writeFileSync } from 'node:fs';

const path = (dev: string): string => `/proc/sys/net/ipv4/conf/${dev}/rp_filter`;

export function rpFilter(dev: string): number | undefined {
  try {
    return Number(readFileSync(path(dev), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Effective mode of a device: 0 off, 1 strict, 2 loose (the kernel takes max(all, dev)). */
export function effectiveRpFilter(dev: string): number | undefined {
  const d = rpFilter(dev);
  const a = rpFilter('all');
  if (d === undefined || a === undefined) return undefined;
  return Math.max(d, a);
}

/** Makes `dev` effectively loose when it is strict (writes 2 on the device). Returns the mode before and after. */
export function makeLoose(dev: string): { before: number | undefined; after: number | undefined } {
  const before = effectiveRpFilter(dev);
  if (before === 1) {
    try {
      writeFileSync(path(dev), '2');
    } catch {
      /* reported through `after` */
    }
  }
  return { before, after: effectiveRpFilter(dev) };
}
