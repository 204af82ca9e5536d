import { isIPv4 } from 'node:net';
import { ProcessRunner, RunOptions, RunResult } from '@skiff/host-tools';

/**
 * A bandwidth limit on an SLB or EIP address (the SLB `bandwidth` or ASK `eip-bandwidth` annotation), in Mbit/s of
 * Ethernet frames each way. `podIp` is the pod owning an EIP: connections it opens, SNATed to the EIP, count too.
 */
export interface BandwidthLimit {
  address: string;
  mbit: number;
  podIp?: string;
}

export interface EdgeBandwidthConfig {
  netns: string;
  /** The edge's veth to the host (`host0`): traffic to pods leaves through it. */
  towardsPods: string;
  /** The edge's internet-side bridge (`inet0`): traffic to clients leaves through it. */
  towardsInternet: string;
}

/** A limit with its HTB class: `1:<minor>` on both devices, and the nft classid its connections get. */
export interface ClassifiedLimit extends BandwidthLimit {
  minor: number;
}

/** An HTB class under the root qdisc 1:, rates in kbit/s as tc prints and takes them. */
export interface HtbClass {
  minor: number;
  rateKbit: number;
  ceilKbit: number;
}

export const EDGE_BANDWIDTH_TABLE = 'skiff-edge-bw';
const TABLE = `inet ${EDGE_BANDWIDTH_TABLE}`;
const MAX_MINOR = 0xfffe;
const FRAME_BYTES = 1514;
const DEVICE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * Enforces per-address limits in the edge netns. nftables classifies (conntrack ties both directions of a connection
 * to the address it was opened to or SNATed to), HTB shapes: a packet whose `meta priority` is `1:<minor>` goes
 * straight to that class of the root HTB, so no tc filter is needed. The root qdisc of both devices and the table
 * `skiff-edge-bw` belong to it; calls must not overlap.
 */
export class EdgeBandwidth {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly config: EdgeBandwidthConfig,
  ) {
    for (const device of this.devices())
      if (!DEVICE_NAME.test(device)) throw new Error(`device name "${device}" is not a network interface name`);
  }

  /** Converges the netns to exactly these limits from whatever state it is in; no limits leaves nothing behind. */
  async apply(limits: readonly BandwidthLimit[]): Promise<void> {
    validateLimits(limits);
    if (limits.length === 0) return this.remove();
    const classified = assignClassMinors(limits, parseClassMinors(await this.currentMap()));
    const desired = classified.map(htbClassOf);
    const upserts: string[] = [];
    const removals: string[] = [];
    for (const device of this.devices()) {
      await this.ensureRootQdisc(device);
      const observed = parseHtbClasses((await this.inNetns('tc', ['class', 'show', 'dev', device])).stdout);
      const changes = classChanges(desired, observed);
      upserts.push(...changes.replace.map((c) => htbClassCommand(device, c)));
      removals.push(...changes.remove.map((minor) => `class del dev ${device} classid 1:${hex(minor)}`));
    }
    // Classes exist before the ruleset sends packets to them and go only once it has stopped (a packet for a
    // missing class would pass unshaped, not be dropped, but the window is avoidable).
    await this.tcBatch(upserts);
    await this.inNetns('nft', ['-f', '-'], { input: bandwidthRuleset(classified) });
    await this.tcBatch(removals);
  }

  /** Deletes the table and both root qdiscs; idempotent. */
  async remove(): Promise<void> {
    // Declaring the table first makes the delete succeed when it is already gone.
    await this.inNetns('nft', ['-f', '-'], { input: `table ${TABLE} {}\ndelete table ${TABLE}\n` });
    for (const device of this.devices())
      if (isOurRoot(await this.rootQdisc(device))) await this.inNetns('tc', ['qdisc', 'del', 'dev', device, 'root']);
  }

  private devices(): string[] {
    return [this.config.towardsPods, this.config.towardsInternet];
  }

  private async ensureRootQdisc(device: string): Promise<void> {
    if (isOurRoot(await this.rootQdisc(device))) return;
    // HTB cannot change its own options in place: whatever is there goes (the kernel's default root cannot be
    // deleted, hence allowFailure). `default 0` names no class, so unclassified packets take HTB's direct queue,
    // unshaped.
    await this.inNetns('tc', ['qdisc', 'del', 'dev', device, 'root'], { allowFailure: true });
    await this.inNetns('tc', ['qdisc', 'add', 'dev', device, 'root', 'handle', '1:', 'htb', 'default', '0']);
  }

  private async rootQdisc(device: string): Promise<RootQdisc | undefined> {
    const { stdout } = await this.inNetns('tc', ['-j', 'qdisc', 'show', 'dev', device, 'root']);
    return (JSON.parse(stdout) as RootQdisc[])[0];
  }

  private async currentMap(): Promise<string> {
    const listing = await this.inNetns('nft', ['-j', 'list', 'map', TABLE, 'by-destination'], { allowFailure: true });
    return listing.code === 0 ? listing.stdout : '';
  }

  private async tcBatch(lines: readonly string[]): Promise<void> {
    if (lines.length) await this.inNetns('tc', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
  }

  private inNetns(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.runner.run('ip', ['netns', 'exec', this.config.netns, command, ...args], options);
  }
}

interface RootQdisc {
  kind: string;
  handle: string;
  options?: { default?: string };
}

function isOurRoot(root: RootQdisc | undefined): boolean {
  return root?.kind === 'htb' && root.handle === '1:' && root.options?.default === '0';
}

/** Throws on a limit the data plane could not express: a bad address, a non-positive rate, an address twice. */
export function validateLimits(limits: readonly BandwidthLimit[]): void {
  const seen = new Set<string>();
  for (const { address, mbit, podIp } of limits) {
    if (!isIPv4(address)) throw new Error(`bandwidth limit address "${address}" is not an IPv4 address`);
    if (podIp !== undefined && !isIPv4(podIp))
      throw new Error(`bandwidth limit of ${address}: pod IP "${podIp}" is not an IPv4 address`);
    if (!Number.isFinite(mbit) || Math.round(mbit * 1000) < 1)
      throw new Error(`bandwidth limit of ${address}: ${mbit} Mbit/s is not a rate of at least 1 kbit/s`);
    if (seen.has(address)) throw new Error(`bandwidth limit of ${address} given twice`);
    seen.add(address);
  }
  if (limits.length > MAX_MINOR) throw new Error(`${limits.length} bandwidth limits exceed the ${MAX_MINOR} classes`);
}

/**
 * Gives each limit an HTB minor: the one its address already has (`previous`, read back from the table) when still
 * free, else the lowest free one, so a class keeps its id and its queue across applies.
 */
export function assignClassMinors(
  limits: readonly BandwidthLimit[],
  previous: ReadonlyMap<string, number>,
): ClassifiedLimit[] {
  const sorted = [...limits].sort((a, b) => a.address.localeCompare(b.address));
  const used = new Set<number>();
  const kept = new Map<string, number>();
  for (const { address } of sorted) {
    const minor = previous.get(address);
    if (minor !== undefined && minor >= 1 && minor <= MAX_MINOR && !used.has(minor)) {
      used.add(minor);
      kept.set(address, minor);
    }
  }
  let next = 1;
  return sorted.map((limit) => {
    let minor = kept.get(limit.address);
    if (minor === undefined) {
      while (used.has(next)) next++;
      minor = next;
      used.add(minor);
    }
    return { ...limit, minor };
  });
}

/** address → minor, from `nft -j list map … by-destination` (empty when there is no table yet). */
export function parseClassMinors(nftJson: string): Map<string, number> {
  const minors = new Map<string, number>();
  if (!nftJson) return minors;
  const listing = JSON.parse(nftJson) as { nftables: { map?: { elem?: [string, string][] } }[] };
  for (const entry of listing.nftables)
    for (const [address, classid] of entry.map?.elem ?? []) {
      const [major, minor] = classid.split(':');
      if (major === '1' && minor) minors.set(address, parseInt(minor, 16));
    }
  return minors;
}

/**
 * The whole table, replaced in one transaction. The chain runs after srcnat so that on a connection's first packet
 * the SNAT is already in conntrack's reply tuple. A connection is classified by where it was first addressed (an
 * SLB or EIP, DNATed to a pod here) or, for an EIP, by its pod opening it and being SNATed to the EIP; both
 * directions of it then get the class, and each device's HTB shapes the direction leaving through it.
 */
export function bandwidthRuleset(limits: readonly ClassifiedLimit[]): string {
  const lines = [
    `table ${TABLE} {}`,
    `delete table ${TABLE}`,
    `table ${TABLE} {`,
    '  map by-destination {',
    '    type ipv4_addr : classid',
    '  }',
    '  map by-source {',
    '    type ipv4_addr . ipv4_addr : classid',
    '  }',
    '  chain postrouting {',
    '    type filter hook postrouting priority srcnat + 10; policy accept;',
    '    meta priority set ct original ip daddr map @by-destination',
    '    meta priority set ct original ip saddr . ct reply ip daddr map @by-source',
    '  }',
    '}',
  ];
  for (const { address, podIp, minor } of limits) {
    lines.push(`add element ${TABLE} by-destination { ${address} : 1:${hex(minor)} }`);
    if (podIp) lines.push(`add element ${TABLE} by-source { ${podIp} . ${address} : 1:${hex(minor)} }`);
  }
  return `${lines.join('\n')}\n`;
}

export function htbClassOf(limit: ClassifiedLimit): HtbClass {
  const kbit = Math.round(limit.mbit * 1000);
  return { minor: limit.minor, rateKbit: kbit, ceilKbit: kbit };
}

/**
 * A `tc -batch` line creating or updating a class; rate = ceil, so a class never borrows. Measured through this
 * edge, TCP gets 95.6 % of the rate at 1–1000 Mbit/s (the rest is Ethernet/IP/TCP headers, which HTB counts):
 * - burst: tc's default (about one frame) leaves a 1 Gbit/s class at 92 %, as each late wakeup of HTB's timer is
 *   lost for good; 1 ms at the rate (at least two frames) absorbs that, and is too small to show at 1 Mbit/s.
 * - quantum: only splits turns between classes when the device is busier than they are; set because HTB's
 *   rate / r2q leaves its range (1000..200000 bytes) above 16 Mbit/s and it warns in the kernel log then.
 * - TCP small queues do not apply (forwarded packets have no local socket) and the leaf's default FIFO
 *   (txqueuelen packets) was not seen to fill, so neither needed tuning.
 */
export function htbClassCommand(device: string, cls: HtbClass): string {
  const burst = Math.max(2 * FRAME_BYTES, Math.ceil(cls.ceilKbit / 8));
  return (
    `class replace dev ${device} parent 1: classid 1:${hex(cls.minor)} htb rate ${cls.rateKbit}kbit` +
    ` ceil ${cls.ceilKbit}kbit burst ${burst}b cburst ${burst}b quantum ${FRAME_BYTES}`
  );
}

/** The classes of `tc class show dev …` under the root HTB 1:. */
export function parseHtbClasses(tcOutput: string): HtbClass[] {
  const classes: HtbClass[] = [];
  for (const line of tcOutput.split('\n')) {
    const m = /^class htb 1:([0-9a-f]+) .*\brate (\d+)([KMGT]?)bit ceil (\d+)([KMGT]?)bit\b/.exec(line);
    if (m) classes.push({ minor: parseInt(m[1], 16), rateKbit: kbitOf(m[2], m[3]), ceilKbit: kbitOf(m[4], m[5]) });
  }
  return classes;
}

/** What to `class replace` (missing or different) and which minors to delete (not wanted). */
export function classChanges(
  desired: readonly HtbClass[],
  observed: readonly HtbClass[],
): { replace: HtbClass[]; remove: number[] } {
  const seen = new Map(observed.map((c) => [c.minor, c]));
  const wanted = new Set(desired.map((c) => c.minor));
  return {
    replace: desired.filter((c) => {
      const o = seen.get(c.minor);
      return !o || o.rateKbit !== c.rateKbit || o.ceilKbit !== c.ceilKbit;
    }),
    remove: observed.filter((c) => !wanted.has(c.minor)).map((c) => c.minor),
  };
}

// tc prints a rate exactly, in the largest decimal unit that divides it.
function kbitOf(value: string, unit: string): number {
  return (Number(value) * 1000 ** ' KMGT'.indexOf(unit || ' ')) / 1000;
}

function hex(minor: number): string {
  return minor.toString(16);
}
