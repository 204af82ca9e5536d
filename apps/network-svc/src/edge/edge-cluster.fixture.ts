import { BandwidthLimit, EdgeBandwidth } from './edge-bandwidth';
import { EdgeNetwork } from './edge-network';

/** The edge's nft scripts and bandwidth limits, as the real data plane hands them out. */
export class RecordingEdge {
  readonly scripts: string[] = [];
  readonly shaped: BandwidthLimit[][] = [];
  readonly network = {
    config: { netns: 'skiff-edge' },
    ensure: async () => undefined,
    nft: { apply: async (script: string) => void this.scripts.push(script) },
  } as unknown as EdgeNetwork;
  readonly bandwidth = {
    apply: async (limits: readonly BandwidthLimit[]) => void this.shaped.push([...limits]),
  } as unknown as EdgeBandwidth;
}
