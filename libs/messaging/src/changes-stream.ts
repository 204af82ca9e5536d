import { DiscardPolicy, JetStreamManager, RetentionPolicy, StorageType } from 'nats';
import { ChangesStreamNames } from './change-events';

/** Creates the change-event stream, or brings its limits in line with config. Idempotent. */
export async function ensureChangesStream(
  jsm: JetStreamManager,
  names: ChangesStreamNames,
  maxMsgs: number,
): Promise<void> {
  const config = {
    name: names.stream,
    subjects: [`${names.subjectPrefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_msgs: maxMsgs,
    // Dedup window: a relay that republishes after a crash sends the same Nats-Msg-Id (the rv).
    duplicate_window: 120_000_000_000,
  };
  try {
    const info = await jsm.streams.info(names.stream);
    if (info.config.max_msgs !== maxMsgs) await jsm.streams.update(names.stream, { ...info.config, max_msgs: maxMsgs });
  } catch (err) {
    if (!(err instanceof Error && /stream not found/i.test(err.message))) throw err;
    try {
      await jsm.streams.add(config);
    } catch (addErr) {
      // Another gateway created it first.
      if (!(addErr instanceof Error && /already in use|name already/i.test(addErr.message))) throw addErr;
    }
  }
}
