import { ProcessRunner, RunOptions, RunResult } from '@skiff/host-tools';
import {
  assignClassMinors,
  bandwidthRuleset,
  classChanges,
  EdgeBandwidth,
  htbClassCommand,
  parseClassMinors,
  parseHtbClasses,
  validateLimits,
} from './edge-bandwidth';

const NOQUEUE = '[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]';
const OUR_HTB = '[{"kind":"htb","handle":"1:","root":true,"options":{"r2q":10,"default":"0","direct_qlen":1000}}]';
const MAP = (elem: [string, string][]) =>
  JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6' } }, { map: { name: 'by-destination', elem } }] });

/** Answers `ip netns exec <ns> <tool> …` from a script of outputs and records every call. */
class FakeRunner extends ProcessRunner {
  readonly calls: { command: string; input?: string }[] = [];
  constructor(private readonly answer: (command: string) => Partial<RunResult> | undefined) {
    super();
  }
  override async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const line = [command, ...args].join(' ').replace(/^ip netns exec edge /, '');
    this.calls.push({ command: line, input: options.input });
    return { code: 0, stdout: '', stderr: '', ...this.answer(line) };
  }
}

describe(EdgeBandwidth.name, () => {
  const config = { netns: 'edge', towardsPods: 'host0', towardsInternet: 'inet0' };

  it('builds qdiscs, classes and the table on a fresh edge, classes before the ruleset', async () => {
    const runner = new FakeRunner((c) => {
      if (c.startsWith('tc -j qdisc show')) return { stdout: NOQUEUE };
      if (c.startsWith('nft -j list map')) return { code: 1, stderr: 'Error: No such file or directory' };
      if (c.startsWith('tc qdisc del')) return { code: 2 };
      return undefined;
    });
    await new EdgeBandwidth(runner, config).apply([{ address: '198.19.0.7', mbit: 10, podIp: '10.244.1.5' }]);
    expect(runner.calls.map((c) => c.command)).toEqual([
      'nft -j list map inet skiff-edge-bw by-destination',
      'tc -j qdisc show dev host0 root',
      'tc qdisc del dev host0 root',
      'tc qdisc add dev host0 root handle 1: htb default 0',
      'tc class show dev host0',
      'tc -j qdisc show dev inet0 root',
      'tc qdisc del dev inet0 root',
      'tc qdisc add dev inet0 root handle 1: htb default 0',
      'tc class show dev inet0',
      'tc -batch -',
      'nft -f -',
    ]);
    expect(runner.calls[9].input).toBe(
      'class replace dev host0 parent 1: classid 1:1 htb rate 10000kbit ceil 10000kbit burst 3028b cburst 3028b quantum 1514\n' +
        'class replace dev inet0 parent 1: classid 1:1 htb rate 10000kbit ceil 10000kbit burst 3028b cburst 3028b quantum 1514\n',
    );
    expect(runner.calls[10].input).toContain(
      'add element inet skiff-edge-bw by-source { 10.244.1.5 . 198.19.0.7 : 1:1 }',
    );
  });

  it('on a converged edge only rewrites the table; a stale class goes after it', async () => {
    const runner = new FakeRunner((c) => {
      if (c.startsWith('tc -j qdisc show')) return { stdout: OUR_HTB };
      if (c.startsWith('nft -j list map'))
        return {
          stdout: MAP([
            ['198.19.0.7', '1:3'],
            ['198.19.0.8', '1:4'],
          ]),
        };
      if (c === 'tc class show dev host0')
        return { stdout: 'class htb 1:3 root prio 0 rate 10Mbit ceil 10Mbit burst 3028b cburst 3028b \n' };
      if (c === 'tc class show dev inet0')
        return {
          stdout:
            'class htb 1:3 root leaf 8001: prio 0 rate 10Mbit ceil 10Mbit burst 3028b cburst 3028b \n' +
            'class htb 1:4 root prio 0 rate 5Mbit ceil 5Mbit burst 3028b cburst 3028b \n',
        };
      return undefined;
    });
    await new EdgeBandwidth(runner, config).apply([{ address: '198.19.0.7', mbit: 10 }]);
    expect(runner.calls.map((c) => c.command)).toEqual([
      'nft -j list map inet skiff-edge-bw by-destination',
      'tc -j qdisc show dev host0 root',
      'tc class show dev host0',
      'tc -j qdisc show dev inet0 root',
      'tc class show dev inet0',
      'nft -f -',
      'tc -batch -',
    ]);
    expect(runner.calls[5].input).toContain('by-destination { 198.19.0.7 : 1:3 }');
    expect(runner.calls[6].input).toBe('class del dev inet0 classid 1:4\n');
  });

  it('removes the table and only its own root qdiscs; no limits means removing', async () => {
    const runner = new FakeRunner((c) =>
      c === 'tc -j qdisc show dev host0 root' ? { stdout: OUR_HTB } : { stdout: NOQUEUE },
    );
    await new EdgeBandwidth(runner, config).apply([]);
    expect(runner.calls.map((c) => c.command)).toEqual([
      'nft -f -',
      'tc -j qdisc show dev host0 root',
      'tc qdisc del dev host0 root',
      'tc -j qdisc show dev inet0 root',
    ]);
    expect(runner.calls[0].input).toBe('table inet skiff-edge-bw {}\ndelete table inet skiff-edge-bw\n');
  });

  it('refuses a device name tc batch lines could not carry', () => {
    expect(() => new EdgeBandwidth(new ProcessRunner(), { ...config, towardsPods: 'host0 root' })).toThrow(
      'device name "host0 root"',
    );
  });
});

describe(bandwidthRuleset.name, () => {
  it('classifies by the original destination, and by pod plus SNAT address, after srcnat', () => {
    expect(
      bandwidthRuleset([
        { address: '198.18.0.4', mbit: 100, minor: 1 },
        { address: '198.19.0.7', mbit: 10, podIp: '10.244.1.5', minor: 0x1a },
      ]),
    ).toBe(
      [
        'table inet skiff-edge-bw {}',
        'delete table inet skiff-edge-bw',
        'table inet skiff-edge-bw {',
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
        'add element inet skiff-edge-bw by-destination { 198.18.0.4 : 1:1 }',
        'add element inet skiff-edge-bw by-destination { 198.19.0.7 : 1:1a }',
        'add element inet skiff-edge-bw by-source { 10.244.1.5 . 198.19.0.7 : 1:1a }',
        '',
      ].join('\n'),
    );
  });
});

describe(htbClassCommand.name, () => {
  it('sets rate = ceil, a burst of 1 ms at the rate but at least two frames, and an MTU quantum', () => {
    expect(htbClassCommand('inet0', { minor: 0xfffe, rateKbit: 1000, ceilKbit: 1000 })).toBe(
      'class replace dev inet0 parent 1: classid 1:fffe htb rate 1000kbit ceil 1000kbit burst 3028b cburst 3028b quantum 1514',
    );
    expect(htbClassCommand('host0', { minor: 2, rateKbit: 1_000_000, ceilKbit: 1_000_000 })).toBe(
      'class replace dev host0 parent 1: classid 1:2 htb rate 1000000kbit ceil 1000000kbit burst 125000b cburst 125000b quantum 1514',
    );
  });
});

describe(assignClassMinors.name, () => {
  it('keeps the minors addresses had and gives new ones the lowest free, in address order', () => {
    const previous = new Map([
      ['198.19.0.9', 1],
      ['198.19.0.2', 3],
      ['198.19.0.5', 9],
    ]);
    const limits = [
      { address: '198.19.0.9', mbit: 1 },
      { address: '198.19.0.8', mbit: 1 },
      { address: '198.19.0.2', mbit: 1 },
      { address: '198.19.0.1', mbit: 1 },
      { address: '198.19.0.3', mbit: 1 },
    ];
    expect(assignClassMinors(limits, previous).map((l) => [l.address, l.minor])).toEqual([
      ['198.19.0.1', 2],
      ['198.19.0.2', 3],
      ['198.19.0.3', 4],
      ['198.19.0.8', 5],
      ['198.19.0.9', 1],
    ]);
  });

  it('ignores a previous minor that is out of range or taken twice', () => {
    const previous = new Map([
      ['198.19.0.1', 0x10000],
      ['198.19.0.2', 7],
      ['198.19.0.3', 7],
    ]);
    const limits = ['198.19.0.1', '198.19.0.2', '198.19.0.3'].map((address) => ({ address, mbit: 1 }));
    expect(assignClassMinors(limits, previous).map((l) => l.minor)).toEqual([1, 7, 2]);
  });
});

describe(classChanges.name, () => {
  it('replaces missing and changed classes, deletes unwanted ones, leaves equal ones alone', () => {
    const c = (minor: number, rateKbit: number, ceilKbit = rateKbit) => ({ minor, rateKbit, ceilKbit });
    expect(
      classChanges([c(1, 10_000), c(2, 20_000), c(3, 30_000)], [c(1, 10_000), c(2, 20_000, 40_000), c(9, 1)]),
    ).toEqual({
      replace: [c(2, 20_000), c(3, 30_000)],
      remove: [9],
    });
  });
});

describe(parseHtbClasses.name, () => {
  it('reads minors and rates in any unit tc prints', () => {
    const out = [
      'class htb 1:a root leaf 8001: prio 0 rate 10500Kbit ceil 10500Kbit burst 3026b cburst 3026b ',
      'class htb 1:fffe root prio 0 rate 1Gbit ceil 1Gbit burst 125000b cburst 125000b ',
      'class htb 1:3 root prio 0 rate 800bit ceil 8Mbit burst 1600b cburst 1600b ',
      '',
    ].join('\n');
    expect(parseHtbClasses(out)).toEqual([
      { minor: 0xa, rateKbit: 10_500, ceilKbit: 10_500 },
      { minor: 0xfffe, rateKbit: 1_000_000, ceilKbit: 1_000_000 },
      { minor: 3, rateKbit: 0.8, ceilKbit: 8_000 },
    ]);
  });
});

describe(parseClassMinors.name, () => {
  it('reads address → minor from the map, hex like tc', () => {
    expect(
      parseClassMinors(
        MAP([
          ['198.19.0.7', '1:a'],
          ['198.19.0.8', '2:3'],
        ]),
      ),
    ).toEqual(new Map([['198.19.0.7', 10]]));
    expect(parseClassMinors(MAP([]))).toEqual(new Map());
    expect(parseClassMinors('')).toEqual(new Map());
  });
});

describe(validateLimits.name, () => {
  it.each([
    [[{ address: 'slb-1', mbit: 1 }], 'is not an IPv4 address'],
    [[{ address: '198.19.0.1', mbit: 1, podIp: '10.244.1' }], 'pod IP "10.244.1"'],
    [[{ address: '198.19.0.1', mbit: 0 }], 'not a rate of at least 1 kbit/s'],
    [[{ address: '198.19.0.1', mbit: Number.NaN }], 'not a rate'],
    [
      [
        { address: '198.19.0.1', mbit: 1 },
        { address: '198.19.0.1', mbit: 2 },
      ],
      'given twice',
    ],
  ])('refuses %j', (limits, message) => {
    expect(() => validateLimits(limits)).toThrow(message);
  });
});
