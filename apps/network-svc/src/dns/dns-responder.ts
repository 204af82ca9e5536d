import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet, RecordType } from 'dns-packet';
import { ClusterZone } from './cluster-zone';

/** Where the records come from: undefined until the caches have listed once (then SERVFAIL, never a false NXDOMAIN). */
export abstract class ZoneSource {
  /** The cluster domain, known before the first sync. */
  abstract readonly domain: string;
  abstract current(): ClusterZone | undefined;
}

/** Sends a query for a name outside the cluster to an upstream resolver and resolves with its reply (or undefined). */
export abstract class UpstreamResolver {
  abstract resolve(query: Buffer): Promise<Buffer | undefined>;
}

export type DnsTransport = 'udp' | 'tcp';

// RFC 1035's limit for a UDP answer without EDNS, and what we accept at most with it (RFC 9715 / DNS flag day 2020).
const PLAIN_UDP_LIMIT = 512;
const EDNS_UDP_LIMIT = 1232;
const OPCODE_QUERY = 0;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;
const FLAG_QR = 0x8000;
// Encoded answers kept per zone version; a flood of distinct names only ever costs this many entries.
const ANSWER_CACHE_ENTRIES = 10_000;
const MASK_RD = 0x0100;
const MASK_CD = 0x0010;

/**
 * Turns one DNS message into its answer: authoritative answers for the cluster zone, REFUSED (or
 * the upstream's answer when forwarding is on) for other names, FORMERR for what cannot be
 * decoded but has a readable header, nothing for what is not even that (or is itself a reply).
 * Never throws. The result is synchronous except when the query is forwarded.
 */
export class DnsResponder {
  /**
   * Encoded zone answers by the query's bytes after its id (flags, question as spelled, EDNS size)
   * and transport: the same bytes always get the same answer from one zone, so a repeated query
   * costs a copy instead of a decode, a lookup and an encode. Emptied when the zone changes.
   */
  private readonly answers = new Map<string, Buffer>();
  private answersZone?: ClusterZone;

  constructor(
    private readonly zones: ZoneSource,
    private readonly upstream?: UpstreamResolver,
  ) {}

  respond(message: Buffer, transport: DnsTransport): Buffer | undefined | Promise<Buffer | undefined> {
    if (message.length < 12) return undefined;
    const headerFlags = message.readUInt16BE(2);
    // A reply sent to us (spoofed or looped) gets nothing back, or two servers could ping-pong forever.
    if (headerFlags & FLAG_QR) return undefined;
    const zone = this.zones.current();
    if (zone !== this.answersZone) {
      this.answers.clear();
      this.answersZone = zone;
    }
    const key = zone && `${transport === 'udp' ? 'u' : 't'}${message.toString('latin1', 2)}`;
    const cached = key && this.answers.get(key);
    if (cached) {
      const reply = Buffer.from(cached);
      reply.writeUInt16BE(message.readUInt16BE(0), 0);
      return reply;
    }
    const reply = this.decodeAndAnswer(message, transport);
    if (key && reply instanceof Buffer && reply.length > 12 && reply.readUInt16BE(2) & dnsPacket.AUTHORITATIVE_ANSWER) {
      if (this.answers.size >= ANSWER_CACHE_ENTRIES) this.answers.clear();
      this.answers.set(key, reply);
      return Buffer.from(reply);
    }
    return reply;
  }

  private decodeAndAnswer(message: Buffer, transport: DnsTransport): Buffer | undefined | Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return headerOnly(message, RCODE.FORMERR);
    }
    try {
      return this.answer(query, message, transport);
    } catch {
      // A bug in answering one name must not stop the server: say so to the client.
      return headerOnly(message, RCODE.SERVFAIL);
    }
  }

  private answer(
    query: DecodedPacket,
    raw: Buffer,
    transport: DnsTransport,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    const opt = query.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
    const reply = new ReplyBuilder(query, opt, transport, this.upstream !== undefined);
    if (((headerFlagsOf(query) >> 11) & 0xf) !== OPCODE_QUERY) return reply.empty('NOTIMP');
    const [question, ...more] = query.questions ?? [];
    if (!question || more.length > 0) return reply.empty('FORMERR');
    const name = normalize(question.name);
    const type = question.type as RecordType | 'ANY';
    const inClass = question.class === undefined || question.class === 'IN' || question.class === 'ANY';

    const zone = this.zones.current();
    const domain = this.zones.domain;
    const inZone = name === domain || name.endsWith(`.${domain}`);
    if (inZone && !zone) return reply.empty('SERVFAIL');
    if (zone && inClass && (inZone || zone.knowsPointer(name))) {
      const found = zone.lookup(name, type, question.name);
      return reply.authoritative(found.rcode, found.answers, found.additionals, zone);
    }
    if (inZone) return reply.empty('REFUSED');
    if (!this.upstream) return reply.empty('REFUSED');
    return this.upstream.resolve(raw).then(
      (answer) => answer ?? reply.empty('SERVFAIL'),
      () => reply.empty('SERVFAIL'),
    );
  }
}

class ReplyBuilder {
  constructor(
    private readonly query: DecodedPacket,
    private readonly opt: OptAnswer | undefined,
    private readonly transport: DnsTransport,
    private readonly recursionAvailable: boolean,
  ) {}

  empty(rcode: Rcode): Buffer {
    return this.encode(rcode, false, [], [], []);
  }

  authoritative(rcode: 'NOERROR' | 'NXDOMAIN', answers: Answer[], additionals: Answer[], zone: ClusterZone): Buffer {
    const authorities = answers.length === 0 ? [zone.soaRecord()] : [];
    return this.encode(rcode, true, answers, authorities, additionals);
  }

  private encode(rcode: Rcode, aa: boolean, answers: Answer[], authorities: Answer[], additionals: Answer[]): Buffer {
    const requestFlags = headerFlagsOf(this.query);
    const flags =
      (requestFlags & (MASK_RD | MASK_CD | 0x7800)) | // RD, CD and the opcode are echoed
      (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) |
      (this.recursionAvailable ? dnsPacket.RECURSION_AVAILABLE : 0) |
      RCODE[rcode];
    const edns: Answer[] = this.opt
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: EDNS_UDP_LIMIT,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          } satisfies OptAnswer,
        ]
      : [];
    const packet: Packet = {
      type: 'response',
      id: this.query.id,
      flags,
      questions: this.query.questions,
      answers,
      authorities,
      additionals: [...additionals, ...edns],
    };
    const bytes = dnsPacket.encode(packet);
    if (this.transport === 'tcp' || bytes.length <= this.udpLimit()) return bytes;
    // Too big for this client over UDP: the header and question with TC, so it asks again over TCP.
    return dnsPacket.encode({
      ...packet,
      flags: flags | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
      authorities: [],
      additionals: edns,
    });
  }

  private udpLimit(): number {
    if (!this.opt) return PLAIN_UDP_LIMIT;
    return Math.max(PLAIN_UDP_LIMIT, Math.min(this.opt.udpPayloadSize, EDNS_UDP_LIMIT));
  }
}

/** The header flags as sent: dns-packet keeps the 15 low bits in `flags`. */
function headerFlagsOf(query: DecodedPacket): number {
  return query.flags ?? 0;
}

/** A reply that is only a header (the question could not be read): the query's id, opcode and RD, and the rcode. */
function headerOnly(message: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(message.readUInt16BE(0), 0);
  out.writeUInt16BE(FLAG_QR | (message.readUInt16BE(2) & (0x7800 | MASK_RD)) | rcode, 2);
  return out;
}

/** Lower case without the trailing dot; the root is the empty string. */
export function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
