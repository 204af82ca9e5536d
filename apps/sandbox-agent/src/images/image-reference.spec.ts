import { ImageError } from './image.error';
import { parseImageReference } from './image-reference';

describe(parseImageReference.name, () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['bitnami/redis', 'docker.io/bitnami/redis:latest'],
    ['index.docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['127.0.0.1:5000/library/busybox:1.36', '127.0.0.1:5000/library/busybox:1.36'],
    [`ghcr.io/x/y@sha256:${'a'.repeat(64)}`, `ghcr.io/x/y@sha256:${'a'.repeat(64)}`],
    [`busybox:1.36@sha256:${'b'.repeat(64)}`, `docker.io/library/busybox:1.36@sha256:${'b'.repeat(64)}`],
  ])('normalizes %s to %s', (input, normalized) => {
    expect(parseImageReference(input).normalized).toBe(normalized);
  });

  it('splits registry, repository, tag and digest', () => {
    expect(parseImageReference('ghcr.io/org/app:v1')).toMatchObject({
      registry: 'ghcr.io',
      repository: 'org/app',
      tag: 'v1',
      digest: undefined,
    });
  });

  it.each(['', 'BusyBox', 'busybox@sha256:short', 'busybox:bad tag'])('rejects %p as InvalidImageName', (input) => {
    expect(() => parseImageReference(input)).toThrow(ImageError);
  });
});
