import { Clock, defaultImagePullPolicy, errorMessage } from '@skiff/api-machinery';
import { EventRecorder } from '@skiff/controller-runtime';
import { ImageError } from '../images/image.error';
import { DockerConfigJson, PulledImage, PullPolicy } from '../images/image-store';
import { ConfigObjectSource, secretData } from './env-resolver';
import { Container, Pod } from '@skiff/kube-types';
import { PodImages } from './pod-host';
import { ContainerRecord } from './pod-state.store';
import { inBackoff, pullBackoff } from './restart-backoff';

/**
 * kubelet's image manager: pulls per imagePullPolicy with the pod's imagePullSecrets, tells
 * the user with Pulling/Pulled/Failed/BackOff events and keeps ErrImagePull → ImagePullBackOff
 * (10 s doubling to 5 min) on the container's record.
 */
export class ImagePuller {
  constructor(
    private readonly store: PodImages,
    private readonly events: EventRecorder,
    private readonly source: ConfigObjectSource,
    private readonly clock: Clock,
  ) {}

  /** The image, or undefined with `rec.waiting` saying why not yet. */
  async pull(pod: Pod, container: Container, rec: ContainerRecord): Promise<PulledImage | undefined> {
    // The API requires an image on every container of a pod; an empty one fails as InvalidImageName.
    const image = container.image ?? '';
    const now = this.clock.nowMs();
    if (inBackoff(rec.pullBackoff, now)) {
      const last =
        rec.waiting?.reason === 'ErrImagePull' || rec.waiting?.reason === 'ImagePullBackOff' ? rec.waiting : undefined;
      const detail =
        last?.reason === 'ErrImagePull'
          ? `: ErrImagePull: ${last.message ?? ''}`
          : (last?.message?.replace(/^Back-off pulling image "[^"]*"/, '') ?? '');
      if (rec.waiting?.reason !== 'ImagePullBackOff')
        this.events.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      rec.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"${detail}` };
      return undefined;
    }
    const policy: PullPolicy = container.imagePullPolicy ?? defaultImagePullPolicy(image);
    try {
      if (policy !== 'Always') {
        const local = await this.store.local(image).catch(() => undefined);
        if (local) {
          this.events.record(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
          rec.pullBackoff = undefined;
          return local;
        }
        if (policy === 'Never')
          throw new ImageError(
            'ErrImageNeverPull',
            `Container image "${image}" is not present with pull policy of Never`,
          );
      }
      this.events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      const started = this.clock.nowMs();
      const pulled = await this.store.ensure(image, policy, await this.pullSecrets(pod));
      this.events.record(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${((this.clock.nowMs() - started) / 1000).toFixed(3)}s`,
      );
      rec.pullBackoff = undefined;
      return pulled;
    } catch (err) {
      const code = err instanceof ImageError ? err.code : 'ErrImagePull';
      const message = errorMessage(err);
      if (code === 'ErrImageNeverPull' || code === 'InvalidImageName') {
        this.events.record(pod, 'Warning', code, message);
        rec.waiting = { reason: code, message };
      } else {
        this.events.record(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
        this.events.record(pod, 'Warning', 'Failed', `Error: ${code === 'ImageUnpackFailed' ? 'ErrImagePull' : code}`);
        rec.waiting = { reason: 'ErrImagePull', message };
      }
      rec.pullBackoff = pullBackoff(rec.pullBackoff, this.clock.nowMs());
      return undefined;
    }
  }

  // kubernetes.io/dockerconfigjson (and legacy dockercfg) secrets, merged; a missing one is skipped as kubelet does.
  private async pullSecrets(pod: Pod): Promise<DockerConfigJson | undefined> {
    const refs = pod.spec.imagePullSecrets ?? [];
    if (!refs.length) return undefined;
    const auths: DockerConfigJson['auths'] = {};
    for (const ref of refs) {
      const secret = await this.source
        .secret(pod.metadata.namespace ?? 'default', ref.name ?? '')
        .catch(() => undefined);
      if (!secret) continue;
      const data = secretData(secret);
      try {
        if (data['.dockerconfigjson'])
          Object.assign(
            auths,
            (JSON.parse(data['.dockerconfigjson'].toString('utf8')) as DockerConfigJson).auths ?? {},
          );
        else if (data['.dockercfg'])
          Object.assign(auths, JSON.parse(data['.dockercfg'].toString('utf8')) as DockerConfigJson['auths']);
      } catch {
        // A malformed secret gives no credentials, like kubelet.
      }
    }
    return { auths };
  }
}
