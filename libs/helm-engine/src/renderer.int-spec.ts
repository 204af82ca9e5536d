import { CAPABILITIES, chartOf, RELEASE } from './helm-chart.fixture';
import { ChartRenderError, HelmRenderer, RenderInput } from './renderer';

// The renderer built by `npm run build` (Go's text/template and Sprig in WebAssembly), driven as the chart engine
// drives it. What each case checks is Go's or Helm's documented behaviour.

async function render(
  templates: Record<string, string>,
  values: Record<string, unknown> = {},
  extra: Partial<RenderInput> = {},
): Promise<Record<string, string>> {
  const renderer = await HelmRenderer.load();
  const out = await renderer.render({
    chart: chartOf('web', { values, templates }),
    release: RELEASE,
    capabilities: CAPABILITIES,
    ...extra,
  });
  return out.manifests;
}

async function one(template: string, values: Record<string, unknown> = {}, extra: Partial<RenderInput> = {}) {
  return (await render({ 'x.yaml': template }, values, extra))['web/templates/x.yaml'];
}

describe('HelmRenderer (Go text/template, Sprig and Helm functions in WebAssembly)', () => {
  it('runs pipelines, Go printf verbs and whitespace trimming', async () => {
    expect(await one('{{ .Values.name | upper | quote }}', { name: 'web' })).toBe('"WEB"');
    expect(await one('{{ printf "%05.1f|%-4s|%x|%v|%q" 3.14159 "a" 255 .Values.list "b" }}', { list: [1, 'x'] })).toBe(
      '003.1|a   |ff|[1 x]|"b"',
    );
    expect(await one('a  {{- " b " -}}  c\n{{- /* gone */ -}}\nd')).toBe('a b cd');
    // Values are read as Helm reads them: every number is a float64, so a big one prints in exponent form.
    expect(
      await one('{{ .Values.port }} {{ .Values.big }} {{ .Values.ratio }}', { port: 8080, big: 1000000, ratio: 0.5 }),
    ).toBe('8080 1e+06 0.5');
  });

  it('scopes range and with, keeps $ as the root, and defines, includes and blocks templates', async () => {
    const out = await render(
      {
        '_helpers.tpl': '{{- define "web.name" -}}{{ .Chart.Name }}-{{ .Release.Name }}{{- end -}}',
        'x.yaml': [
          '{{- range $i, $p := .Values.ports }}{{ $i }}={{ $p }}/{{ $.Release.Namespace }};{{ end }}',
          '{{ with .Values.missing }}never{{ else }}no missing{{ end }}',
          '{{ with .Values.db }}{{ .host }}:{{ .port }}{{ end }}',
          'name: {{ include "web.name" . }}',
          'labels:{{ include "web.labels" . | nindent 2 }}',
          '{{ block "web.extra" . }}extra default{{ end }}',
          '{{- define "web.labels" }}app: {{ template "web.name" . }}{{ end }}',
        ].join('\n'),
      },
      { ports: [80, 443], db: { host: 'pg', port: 5432 } },
    );
    expect(out['web/templates/x.yaml']).toBe(
      '0=80/prod;1=443/prod;\nno missing\npg:5432\nname: web-shop\nlabels:\n  app: web-shop\nextra default',
    );
    // A partial is not rendered on its own.
    expect(Object.keys(out)).toEqual(['web/templates/x.yaml']);
  });

  it("lets a parent chart's define win over a subchart's of the same name, each template with its own scope", async () => {
    const renderer = await HelmRenderer.load();
    const db = chartOf('db', {
      values: { size: 1 },
      templates: {
        '_h.tpl': '{{ define "common.who" }}child{{ end }}',
        's.yaml':
          '{{ include "common.who" . }} {{ .Chart.Name }} {{ .Chart.IsRoot }} {{ .Values.size }} {{ .Template.Name }} {{ .Template.BasePath }}',
      },
    });
    const web = chartOf('web', {
      values: { db: { size: 2 } },
      templates: {
        '_h.tpl': '{{ define "common.who" }}parent{{ end }}',
        // Helm ≥ 3.13: a subchart's scope under .Subcharts.
        'p.yaml': '{{ .Subcharts.db.Values.size }} {{ .Subcharts.db.Chart.Name }} {{ keys .Subcharts }}',
      },
      dependencies: [db],
    });
    const out = await renderer.render({ chart: web, release: RELEASE, capabilities: CAPABILITIES });
    expect(out.manifests['web/charts/db/templates/s.yaml']).toBe(
      'parent db false 2 web/charts/db/templates/s.yaml web/charts/db/templates',
    );
    expect(out.manifests['web/templates/p.yaml']).toBe('2 db [db]');
  });

  it('drops "<no value>" unless strict, where a missing key is an error', async () => {
    expect(await one('a{{ .Values.nope }}b')).toBe('ab');
    await expect(one('a{{ .Values.nope }}b', {}, { strict: true })).rejects.toThrow(
      'template: web/templates/x.yaml:1:11: executing "web/templates/x.yaml" at <.Values.nope>: map has no entry for key "nope"',
    );
  });

  it('words required, fail and parse errors as Helm does', async () => {
    await expect(one('image: {{ required "image.repository is required" .Values.image }}')).rejects.toThrow(
      new ChartRenderError('execution error at (web/templates/x.yaml:1:10): image.repository is required'),
    );
    await expect(one('{{ if .Values.x }}{{ fail "x is not allowed" }}{{ end }}', { x: true })).rejects.toThrow(
      'execution error at (web/templates/x.yaml:1:21): x is not allowed',
    );
    await expect(one('{{ if .Values.x }}')).rejects.toThrow('parse error at (web/templates/x.yaml:1): unexpected EOF');
    // env and expandenv are left out: a template cannot read the renderer's environment.
    await expect(one('{{ env "HOME" }}')).rejects.toThrow('function "env" not defined');
  });

  it('renders tpl with the templates in reach, and YAML and JSON as Helm writes and reads them', async () => {
    expect(await one('{{ tpl .Values.greeting . }}', { greeting: 'hi {{ .Release.Name }}', x: 1 })).toBe('hi shop');
    expect(
      await one('{{ toYaml .Values.cfg }}', { cfg: { b: [1, 'two', { c: true }], a: 1000000, s: 'yes', e: {} } }),
    ).toBe('a: 1000000\nb:\n- 1\n- two\n- c: true\ne: {}\ns: "yes"');
    expect(await one('{{ (fromYaml "a: [1, 2]\\nb: on").b }} {{ (fromYaml "a: [").Error }}')).toBe(
      'true error converting YAML to JSON: yaml: line 1: did not find expected node content',
    );
    expect(
      await one('{{ toJson .Values.m }} {{ index (fromJsonArray "[3,4]") 1 }} {{ toToml .Values.m }}', {
        m: { k: 'v' },
      }),
    ).toBe('{"k":"v"} 4 k = "v"\n');
  });

  it('serves .Files, .Capabilities and lookup', async () => {
    const renderer = await HelmRenderer.load();
    const files = { 'config/a.conf': 'x=1\ny=2\n', 'config/b.conf': 'z', 'README.md': 'readme' };
    const lookups: string[] = [];
    const { manifests: out } = await renderer.render({
      chart: chartOf('web', {
        files,
        templates: {
          'x.yaml': [
            '{{ .Files.Get "README.md" }}|{{ .Files.Get "nope" }}|{{ .Files.Lines "config/a.conf" | join "," }}',
            '{{ (.Files.Glob "config/*").AsConfig }}',
            '{{ (.Files.Glob "config/b.*").AsSecrets }}',
            '{{ .Capabilities.APIVersions.Has "apps/v1/Deployment" }} {{ .Capabilities.APIVersions.Has "batch/v9" }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion }}',
            '{{ (lookup "v1" "ConfigMap" "prod" "settings").data.mode }}|{{ lookup "v1" "Secret" "prod" "none" }}',
          ].join('\n'),
        },
      }),
      release: RELEASE,
      capabilities: CAPABILITIES,
      lookup: async (apiVersion, kind, namespace, name) => {
        lookups.push(`${apiVersion} ${kind} ${namespace} ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        return name === 'settings' ? { data: { mode: 'fast' } } : undefined;
      },
    });
    expect(out['web/templates/x.yaml']).toBe(
      'readme||x=1,y=2\na.conf: |\n  x=1\n  y=2\nb.conf: z\nb.conf: eg==\ntrue false 32 v1.32.0\nfast|map[]',
    );
    expect(lookups).toEqual(['v1 ConfigMap prod settings', 'v1 Secret prod none']);
  });

  it("reads a values file as Helm does: YAML 1.1 scalars, numbers as float64, the parser's errors", async () => {
    const renderer = await HelmRenderer.load();
    expect(renderer.yamlToJson('a: yes\nb: 010\nc: 1.50\nd: ~\ne: [x, 2]\n3: three\n')).toEqual({
      a: true,
      b: 8,
      c: 1.5,
      d: null,
      e: ['x', 2],
      '3': 'three',
    });
    expect(() => renderer.yamlToJson('a: [')).toThrow('yaml: line 1: did not find expected node content');
  });

  it("computes a release's values as `helm get values --all` does: its config over the chart's, null removing", async () => {
    const renderer = await HelmRenderer.load();
    expect(
      renderer.computedValues({ a: 1, b: { c: 2, d: 3 }, list: [1, 2] }, { b: { c: 5, d: null }, list: [9], e: 'x' }),
    ).toEqual({ a: 1, b: { c: 5 }, list: [9], e: 'x' });
  });
});
