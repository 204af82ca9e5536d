import { releaseManifest, sortManifests, splitManifests } from './manifests';

describe("rendered templates sorted as Helm's install sorts them", () => {
  it('splits a stream of documents, dropping empty ones', () => {
    expect(splitManifests('a: 1\n---\nb: 2\n---   \n\nc: 3\n---\n')).toEqual(['a: 1', 'b: 2', 'c: 3']);
    // Helm's separator regexp, (?:^|\s*\n)---\s*, as Go's regexp applies it (checked with Go): a separator's trailing
    // blank lines are its own, so a "---" right after them stays in the next document.
    expect(splitManifests('\n---\na: 1\n---\n\n---   \nb: 2\n  ---\nc: 3\n')).toEqual([
      'a: 1',
      '---   \nb: 2\n  ---\nc: 3',
    ]);
  });

  it('orders documents by kind (unknown kinds last, by name), keeps file order otherwise, and takes hooks apart', async () => {
    const { hooks, manifests } = await sortManifests({
      'web/templates/_helpers.tpl': 'kind: ConfigMap',
      'web/templates/NOTES.txt': 'Thanks for installing',
      'web/templates/empty.yaml': '  \n',
      'web/templates/b.yaml': 'kind: Deployment\nmetadata: {name: d}\n---\nkind: Service\nmetadata: {name: s}',
      'web/templates/a.yaml':
        'kind: Widget\nmetadata: {name: w}\n---\nkind: ConfigMap\nmetadata: {name: c1}\n---\nkind: Gadget\nmetadata: {name: g}\n---\nkind: ConfigMap\nmetadata: {name: c2}',
      'web/templates/hooks.yaml': [
        'kind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install,Pre-Upgrade\n    helm.sh/hook-weight: "-5"\n    helm.sh/hook-delete-policy: before-hook-creation, hook-succeeded',
        'kind: Pod\nmetadata:\n  name: smoke\n  annotations:\n    helm.sh/hook: test-success\n    helm.sh/hook-weight: "x"',
        'kind: ConfigMap\nmetadata:\n  name: odd\n  annotations:\n    helm.sh/hook: pre-install,sometime',
      ].join('\n---\n'),
    });
    expect(manifests.map((m) => `${m.head.kind}/${m.head.metadata?.name} ${m.name}`)).toEqual([
      'ConfigMap/c1 web/templates/a.yaml',
      'ConfigMap/c2 web/templates/a.yaml',
      'Service/s web/templates/b.yaml',
      'Deployment/d web/templates/b.yaml',
      'Gadget/g web/templates/a.yaml',
      'Widget/w web/templates/a.yaml',
    ]);
    expect(
      hooks.map((h) => ({
        name: h.name,
        kind: h.kind,
        events: h.events,
        weight: h.weight,
        policies: h.delete_policies,
      })),
    ).toEqual([
      { name: 'smoke', kind: 'Pod', events: ['test'], weight: 0, policies: [] },
      {
        name: 'migrate',
        kind: 'Job',
        events: ['pre-install', 'pre-upgrade'],
        weight: -5,
        policies: ['before-hook-creation', 'hook-succeeded'],
      },
    ]);
    expect(releaseManifest(manifests.slice(0, 2))).toBe(
      '---\n# Source: web/templates/a.yaml\nkind: ConfigMap\nmetadata: {name: c1}\n---\n# Source: web/templates/a.yaml\nkind: ConfigMap\nmetadata: {name: c2}\n',
    );
  });

  it('names the template of a document that is not YAML, as Helm does', async () => {
    await expect(sortManifests({ 'web/templates/x.yaml': 'kind: [' })).rejects.toThrow(
      'YAML parse error on web/templates/x.yaml: error converting YAML to JSON: yaml: line 1: did not find expected node content',
    );
  });
});
