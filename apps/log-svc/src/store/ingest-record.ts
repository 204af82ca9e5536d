import { RecordTime } from './record-time';

/** One record as the store writes it: checked, its time split into what Postgres keeps (µs) and the rest (ns). */
export interface IngestRecord extends RecordTime {
  id: string;
  /** `<namespace>/<logstore>`. */
  store: string;
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  host: string;
  source: string;
  tags: Record<string, string>;
  line: string;
  piece?: { index: number; last: boolean };
}
