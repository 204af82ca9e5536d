import { Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '@skiff/api-machinery';
import { KubeClient } from '@skiff/kube-client';
import { LogStoreSettings } from '@skiff/messaging';
import { createLogstore } from './logstore';

/** The Logstore objects of the stores ingest makes: made at once, or (if the API cannot take them yet) on the leader's sweep. */
@Injectable()
export class LogstoreObjects {
  private readonly log = new Logger('logstores');

  constructor(private readonly client: KubeClient) {}

  createSoon(stores: readonly LogStoreSettings[]): void {
    for (const s of stores)
      createLogstore(this.client, s).catch((err: unknown) =>
        this.log.warn(`Logstore ${s.namespace}/${s.name}: ${errorMessage(err)}; the leader's sweep makes it later`),
      );
  }
}
