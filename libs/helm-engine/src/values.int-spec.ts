import { CAPABILITIES, chartOf, RELEASE } from './helm-chart.fixture';
import { HelmRenderer, RenderInput } from './renderer';

// Values as Helm works them out (values files, --set and friends, subcharts, globals, conditions, tags, aliases,
// import-values, library charts, values.schema.json), through the renderer built by `npm run build`.

async function render(input: Omit<RenderInput, 'release' | 'capabilities'>) {
  return (await HelmRenderer.load()).render({ release: RELEASE, capabilities: CAPABILITIES, ...input });
}

describe("values, as Helm's install works them out", () => {
  it('merges value files, --set-json, --set, --set-string and --set-file over the defaults, with their types', async () => {
    const out = await render({
      chart: chartOf('web', {
        values: { port: 80, big: 1000000, keep: 'x', drop: 'd', nested: { a: 1, b: 2 } },
        templates: {
          'x.yaml':
            '{{ .Values.port }} {{ .Values.big }} {{ .Values.count }} {{ .Values.keep }} [{{ .Values.drop }}] {{ .Values.nested }} {{ .Values.obj.k }} {{ .Values.list }} {{ .Values.items }} {{ .Values.flag }} {{ .Values.zero }} {{ kindOf .Values.str }} {{ .Values.motd }}',
        },
      }),
      values: {
        files: [
          { name: 'one.yaml', text: 'port: 81\nnested: {b: 3}\n' },
          { name: 'two.yaml', text: 'port: 82\n' },
        ],
        setJson: ['obj={"k":[1,2]}'],
        set: ['port=83,count=1000000,drop=null,list={a,b},items[1].name=second,flag=true,zero=0123'],
        setString: ['str=42'],
        setFile: ['motd=/etc/motd'],
      },
      readFile: (file) => `text of ${file}`,
    });
    // A values file's numbers are float64 (1e+06), --set's integers int64; a null from --set removes a default.
    expect(out.manifests['web/templates/x.yaml']).toBe(
      '83 1e+06 1000000 x [] map[a:1 b:3] [1 2] [a b] [<nil> map[name:second]] true 0123 string text of /etc/motd',
    );
    expect(out.config).toEqual({
      port: 83,
      nested: { b: 3 },
      obj: { k: [1, 2] },
      count: 1000000,
      drop: null,
      list: ['a', 'b'],
      items: [null, { name: 'second' }],
      flag: true,
      zero: '0123',
      str: '42',
      motd: 'text of /etc/motd',
    });
    expect(out.values).toMatchObject({ port: 83, big: 1000000, keep: 'x', nested: { a: 1, b: 3 } });
    expect(out.values).not.toHaveProperty('drop');
  });

  it("words bad --set and values input as Helm's CLI does", async () => {
    const chart = chartOf('web', { templates: { 'x.yaml': 'x' } });
    await expect(render({ chart, values: { set: ['a'] } })).rejects.toThrow(
      'failed parsing --set data: key "a" has no value',
    );
    await expect(render({ chart, values: { set: ['a,b=c'] } })).rejects.toThrow(
      'failed parsing --set data: key "a" has no value (cannot end with ,)',
    );
    await expect(render({ chart, values: { set: ['l[70000]=x'] } })).rejects.toThrow(
      'failed parsing --set data: index of 70000 is greater than maximum supported index value of 65536',
    );
    await expect(render({ chart, values: { setFile: ['a=/nope'] } })).rejects.toThrow(
      'failed parsing --set-file data: open /nope: no such file or directory',
    );
    await expect(render({ chart, values: { files: [{ name: 'bad.yaml', text: 'a: [' }] } })).rejects.toThrow(
      'failed to parse bad.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content',
    );
  });

  describe('a chart with subcharts', () => {
    const db = chartOf('db', {
      metadata: { version: '1.2.5' },
      values: {
        size: 1,
        global: { env: 'dev', region: 'eu' },
        exports: { conn: { dbHost: 'db.local' } },
        defaults: { port: 5432 },
      },
      templates: {
        'x.yaml':
          '{{ .Chart.Name }} size={{ .Values.size }} env={{ .Values.global.env }} region={{ .Values.global.region }}',
      },
      files: { 'crds/db.yaml': 'kind: CustomResourceDefinition' },
    });
    const web = chartOf('web', {
      metadata: {
        dependencies: [
          {
            name: 'db',
            version: '~1.2.0',
            repository: '',
            'import-values': ['conn', { child: 'defaults', parent: 'dbDefaults' }],
          },
          { name: 'cache', version: '1.x', repository: '', condition: 'cache.enabled,global.cache.enabled' },
          { name: 'metrics', repository: '', tags: ['monitoring'] },
          { name: 'db', alias: 'replica', repository: '' },
        ],
      },
      values: { global: { env: 'prod' }, cache: { enabled: false }, tags: { monitoring: false }, db: { size: 5 } },
      templates: {
        'r.yaml': 'host={{ .Values.dbHost }} port={{ .Values.dbDefaults.port }} replica={{ .Values.replica.size }}',
      },
      dependencies: [
        db,
        chartOf('cache', { metadata: { version: '1.0.0' }, templates: { 'c.yaml': 'cache' } }),
        chartOf('metrics', { templates: { 'm.yaml': 'metrics' } }),
      ],
    });

    it('scopes values, passes globals down, imports values, renders aliases and drops what conditions and tags turn off', async () => {
      const out = await render({ chart: web });
      expect(out.manifests).toEqual({
        'web/templates/r.yaml': 'host=db.local port=5432 replica=1',
        'web/charts/db/templates/x.yaml': 'db size=5 env=prod region=eu',
        'web/charts/replica/templates/x.yaml': 'replica size=1 env=prod region=eu',
      });
      expect(out.crds.map((c) => c.name).sort()).toEqual([
        'web/charts/db/crds/db.yaml',
        'web/charts/replica/crds/db.yaml',
      ]);
    });

    it('turns subcharts on by a condition or a tag the user sets', async () => {
      const out = await render({ chart: web, values: { set: ['cache.enabled=true,tags.monitoring=true'] } });
      expect(Object.keys(out.manifests).sort()).toEqual([
        'web/charts/cache/templates/c.yaml',
        'web/charts/db/templates/x.yaml',
        'web/charts/metrics/templates/m.yaml',
        'web/charts/replica/templates/x.yaml',
        'web/templates/r.yaml',
      ]);
    });
  });

  it("renders a library chart's definitions only, and refuses to install one", async () => {
    const lib = chartOf('lib', {
      metadata: { type: 'library' },
      templates: { '_lib.tpl': '{{ define "lib.hello" }}hello from {{ .Chart.Name }}{{ end }}', 'nope.yaml': 'never' },
    });
    const out = await render({
      chart: chartOf('web', { templates: { 'x.yaml': '{{ include "lib.hello" . }}' }, dependencies: [lib] }),
    });
    expect(out.manifests).toEqual({ 'web/templates/x.yaml': 'hello from web' });
    await expect(render({ chart: lib })).rejects.toThrow('library charts are not installable');
  });

  it("checks values against each chart's values.schema.json, as Helm words a failure", async () => {
    const chart = chartOf('web', {
      values: { replicas: 1 },
      schema: { type: 'object', required: ['image'], properties: { replicas: { type: 'integer', minimum: 1 } } },
      templates: { 'x.yaml': '{{ .Values.image }}' },
    });
    expect((await render({ chart, values: { set: ['image=busybox'] } })).manifests['web/templates/x.yaml']).toBe(
      'busybox',
    );
    await expect(render({ chart, values: { set: ['replicas=0'] } })).rejects.toThrow(
      "values don't meet the specifications of the schema(s) in the following chart(s):\nweb:\n- (root): image is required\n- replicas: Must be greater than or equal to 1\n",
    );
  });
});
