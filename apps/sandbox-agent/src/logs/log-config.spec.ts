import { Container, EnvVar, Pod } from '@skiff/kube-types';
import { containerLogTargets, fileNameMatcher, logCollectionEnabled } from './log-config';

const pod = (annotations?: Record<string, string>): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1', annotations },
  spec: { containers: [] },
});

const container = (env: EnvVar[], volumeMounts: Container['volumeMounts'] = []): Container => ({
  name: 'app',
  image: 'busybox',
  env,
  volumeMounts,
});

const parse = (env: Record<string, string>, mounts: Container['volumeMounts'] = []) =>
  containerLogTargets(
    pod(),
    container(
      Object.entries(env).map(([name, value]) => ({ name, value })),
      mounts,
    ),
  );

describe('aliyun_logs_* env', () => {
  it('collects stdout into the logstore named by the key, with the defaults ASK gives it', () => {
    const { targets, problems } = parse({ aliyun_logs_app: 'stdout', PATH: '/bin' });
    expect(problems).toEqual([]);
    expect(targets.stdout).toEqual([
      {
        key: 'app',
        store: { namespace: 'shop', name: 'app', ttlDays: 90, shards: 2, mode: 'standard' },
        tags: {},
      },
    ]);
    expect(targets.files).toEqual([]);
  });

  it('reads the suffixes: tags, logstore, project, ttl, shard and mode; machinegroup is accepted', () => {
    const { targets, problems } = parse({
      aliyun_logs_app: 'stdout',
      aliyun_logs_app_tags: 'team=shop, stage=dev',
      aliyun_logs_app_logstore: 'shop-stdout',
      aliyun_logs_app_project: 'k8s-log-c1',
      aliyun_logs_app_ttl: '3650',
      aliyun_logs_app_shard: '10',
      aliyun_logs_app_logstoremode: 'query',
      aliyun_logs_app_machinegroup: 'k8s-group-c1',
    });
    expect(problems).toEqual([]);
    expect(targets.stdout).toEqual([
      {
        key: 'app',
        store: {
          namespace: 'shop',
          name: 'shop-stdout',
          ttlDays: 3650,
          shards: 10,
          mode: 'query',
          project: 'k8s-log-c1',
        },
        tags: { team: 'shop', stage: 'dev' },
      },
    ]);
  });

  it('maps a file pattern to the volume mounted over its directory (the deepest mount, subPath included)', () => {
    const { targets, problems } = parse({ 'aliyun_logs_app-file': '/var/log/app/nginx/*.log' }, [
      { name: 'logs', mountPath: '/var/log' },
      { name: 'app-logs', mountPath: '/var/log/app/', subPath: 'pod-a' },
    ]);
    expect(problems).toEqual([]);
    expect(targets.files).toEqual([
      expect.objectContaining({
        key: 'app-file',
        glob: '/var/log/app/nginx/*.log',
        containerDir: '/var/log/app/nginx',
        volume: 'app-logs',
        dirInVolume: 'pod-a/nginx',
        pattern: '*.log',
        store: expect.objectContaining({ name: 'app-file' }),
      }),
    ]);
  });

  it('skips each wrong variable with a problem that names it, keeping what is right', () => {
    const { targets, problems } = parse(
      {
        aliyun_logs_ok: 'stdout',
        aliyun_logs_ok_ttl: '0',
        aliyun_logs_ok_shard: 'two',
        aliyun_logs_ok_logstoremode: 'fast',
        aliyun_logs_ok_tags: 'a=1,oops',
        aliyun_logs_ok_colour: 'red',
        aliyun_logs_Bad: 'stdout',
        aliyun_logs_rel: 'logs/*.log',
        aliyun_logs_dir: '/var/log/app/',
        aliyun_logs_wild: '/var/*/app.log',
        aliyun_logs_nowhere: '/tmp/app.log',
        aliyun_logs_orphan_tags: 'a=b',
        'aliyun_logs_-x-': 'stdout',
        aliyun_logs_empty: '',
      },
      [{ name: 'logs', mountPath: '/var/log' }],
    );
    expect(targets.stdout).toEqual([
      { key: 'ok', store: { namespace: 'shop', name: 'ok', ttlDays: 90, shards: 2, mode: 'standard' }, tags: {} },
    ]);
    expect(targets.files).toEqual([]);
    const named = (v: string) => problems.filter((p) => p.startsWith(`container app: ${v}:`));
    for (const v of [
      'aliyun_logs_ok_ttl',
      'aliyun_logs_ok_shard',
      'aliyun_logs_ok_logstoremode',
      'aliyun_logs_ok_tags',
      'aliyun_logs_ok_colour',
      'aliyun_logs_Bad',
      'aliyun_logs_rel',
      'aliyun_logs_dir',
      'aliyun_logs_wild',
      'aliyun_logs_nowhere',
      'aliyun_logs_orphan_tags',
      'aliyun_logs_-x-',
      'aliyun_logs_empty',
    ])
      expect(named(v)).toHaveLength(1);
    expect(problems).toHaveLength(13);
    expect(named('aliyun_logs_nowhere')[0]).toMatch(/not on a volume mounted in the container/);
  });

  it('does not resolve valueFrom, and says so', () => {
    const { targets, problems } = containerLogTargets(
      pod(),
      container([{ name: 'aliyun_logs_app', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }]),
    );
    expect(targets.stdout).toEqual([]);
    expect(problems).toEqual([
      'container app: aliyun_logs_app: valueFrom is not resolved for log collection, give a plain value; ignored',
    ]);
  });

  it('lets a later variable of the same name win, as the container env does', () => {
    const { targets } = containerLogTargets(
      pod(),
      container([
        { name: 'aliyun_logs_app', value: '/nowhere' },
        { name: 'aliyun_logs_app', value: 'stdout' },
      ]),
    );
    expect(targets.stdout.map((t) => t.key)).toEqual(['app']);
  });

  it('is off for a pod annotated eci-sls-enable "false"', () => {
    expect(logCollectionEnabled(pod())).toBe(true);
    expect(logCollectionEnabled(pod({ 'k8s.aliyun.com/eci-sls-enable': 'true' }))).toBe(true);
    expect(logCollectionEnabled(pod({ 'k8s.aliyun.com/eci-sls-enable': 'false' }))).toBe(false);
  });

  it('matches file names as a shell does: * and ?, no leading dot', () => {
    const logs = fileNameMatcher('*.log');
    expect(['a.log', 'access.log', '.log'].map(logs)).toEqual([true, true, false]);
    expect(['a.log.1', 'a.txt', '.hidden.log'].map(logs)).toEqual([false, false, false]);
    expect(fileNameMatcher('app-?.log')('app-1.log')).toBe(true);
    expect(fileNameMatcher('app-?.log')('app-12.log')).toBe(false);
    expect(fileNameMatcher('app.log')('app.log')).toBe(true);
    expect(fileNameMatcher('app.log')('appxlog')).toBe(false);
    expect(fileNameMatcher('a+(b).log')('a+(b).log')).toBe(true);
  });
});
