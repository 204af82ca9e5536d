/**
 * One file as it is read, from its first read to its last: a CRI log file of one container instance, or a file a
 * pattern matched. A rotation (a new inode) or a truncation starts a new one, with a new serial.
 */
export class TrackedFile {
  /** Read, and acknowledged by JetStream, up to here: where a restarted agent resumes. */
  acked: number;
  /** Read to its end and let go, at this offset. */
  finishedAt?: number;

  constructor(
    readonly podUid: string,
    /** Unique in the pod: record ids are made of it and byte offsets, so rotations never reuse an id. */
    readonly serial: number,
    /** The source of the pod that reads it (`cri:<container>`, `file:<container>:<key>`). */
    readonly source: string,
    readonly inode: number,
    acked: number,
    /** CRI: the container instance (restart count) it belongs to. */
    readonly restart?: number,
    /** File: its path in the container when first seen, which its records name as their source. */
    readonly path?: string,
  ) {
    this.acked = acked;
  }
}

/** A tracked file as saved under the state dir. */
export interface SavedFile {
  serial: number;
  source: string;
  inode: number;
  offset: number;
  restart?: number;
  path?: string;
  finishedAt?: number;
}

export interface SavedPodOffsets {
  uid: string;
  nextSerial: number;
  files: SavedFile[];
}

export interface PodIdentity {
  uid: string;
  namespace: string;
  name: string;
}

/**
 * The read positions of one pod's files: what the agent saved before it restarted (to resume from), the files read
 * now, and what JetStream has acknowledged of each. Serials are saved before any record of their file is sent.
 */
export class PodLogState {
  readonly files = new Map<number, TrackedFile>();
  /** A serial was handed out that is not on disk yet: save before reading on. */
  unsaved = false;
  /** Acknowledgements arrived since the last save. */
  dirty = false;
  private nextSerial: number;
  private readonly saved: SavedFile[];

  constructor(
    readonly pod: PodIdentity,
    loaded: SavedPodOffsets | undefined,
    /** Offsets beyond the acknowledged ones that batches in the spool cover (they are not read again). */
    private readonly spooledAhead: ReadonlyMap<number, number> = new Map(),
    /** Offsets acknowledged before the pod was loaded (its spooled batches, delivered after a restart). */
    private readonly ackedEarly: ReadonlyMap<number, number> = new Map(),
  ) {
    this.nextSerial = loaded?.nextSerial ?? 1;
    this.saved = [...(loaded?.files ?? [])].sort((a, b) => a.serial - b.serial);
  }

  /** The saved files of a source not resumed yet, oldest first. */
  savedOf(source: string): SavedFile[] {
    return this.saved.filter((f) => f.source === source);
  }

  /** Takes the first saved file of the source that `match` accepts, so it is resumed once. */
  claimSaved(source: string, match: (f: SavedFile) => boolean): SavedFile | undefined {
    const i = this.saved.findIndex((f) => f.source === source && match(f));
    return i < 0 ? undefined : this.saved.splice(i, 1)[0];
  }

  /** Forgets saved files of the source that `match` accepts: they are gone, or were passed by. */
  dropSaved(source: string, match: (f: SavedFile) => boolean = () => true): void {
    for (let i = this.saved.length - 1; i >= 0; i--)
      if (this.saved[i].source === source && match(this.saved[i])) this.saved.splice(i, 1);
  }

  /** Resumes a saved file (its serial and offset) or starts a new one at 0; resolves where reading starts. */
  open(
    source: string,
    inode: number,
    where: { restart?: number; path?: string },
    saved?: SavedFile,
  ): { file: TrackedFile; offset: number } {
    if (saved) {
      const acked = Math.max(saved.offset, this.ackedEarly.get(saved.serial) ?? 0);
      const file = new TrackedFile(this.pod.uid, saved.serial, source, inode, acked, saved.restart, saved.path);
      this.files.set(file.serial, file);
      if (acked > saved.offset) this.dirty = true;
      return { file, offset: Math.max(acked, this.spooledAhead.get(saved.serial) ?? 0) };
    }
    const file = new TrackedFile(this.pod.uid, this.nextSerial++, source, inode, 0, where.restart, where.path);
    this.files.set(file.serial, file);
    this.unsaved = true;
    return { file, offset: 0 };
  }

  /** The file was read to its end (`offset`) and let go. */
  finish(file: TrackedFile, offset: number): void {
    file.finishedAt = offset;
    this.dirty = true;
  }

  ack(serial: number, offset: number): void {
    const file = this.files.get(serial);
    if (!file || offset <= file.acked) return;
    file.acked = offset;
    this.dirty = true;
  }

  /**
   * What to save: every file with lines not acknowledged, and the newest file of each source (a CRI source resumes
   * at its container instance). Files read, finished and acknowledged to their end are dropped.
   */
  snapshot(): SavedPodOffsets {
    const newest = new Map<string, number>();
    const all = [...this.files.values()];
    for (const f of all) newest.set(f.source, Math.max(newest.get(f.source) ?? 0, f.serial));
    for (const f of all)
      if (f.finishedAt !== undefined && f.acked >= f.finishedAt && newest.get(f.source) !== f.serial)
        this.files.delete(f.serial);
    const files: SavedFile[] = [...this.saved];
    for (const f of this.files.values())
      files.push({
        serial: f.serial,
        source: f.source,
        inode: f.inode,
        offset: f.acked,
        ...(f.restart !== undefined ? { restart: f.restart } : {}),
        ...(f.path !== undefined ? { path: f.path } : {}),
        ...(f.finishedAt !== undefined ? { finishedAt: f.finishedAt } : {}),
      });
    return { uid: this.pod.uid, nextSerial: this.nextSerial, files };
  }
}
