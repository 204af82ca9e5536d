// The chart CLI's repositories, kept where Helm keeps them so the two share them: repositories.yaml
// ($HELM_REPOSITORY_CONFIG, else $XDG_CONFIG_HOME/helm, else ~/.config/helm) and each repository's index in the cache
// ($HELM_REPOSITORY_CACHE, else $XDG_CACHE_HOME/helm/repository, else ~/.cache/helm/repository).
import {
  Chart,
  chartUrl,
  ChartVersion,
  fetchIndex,
  findChartVersion,
  HelmRenderer,
  httpGet,
  IndexFile,
  loadChart,
  parseIndex,
  pullOciChart,
} from '@skiff/helm-engine';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

export class RepositoryError extends Error {}

/** One entry of repositories.yaml, with every field Helm writes. */
interface RepositoryEntry {
  name: string;
  url: string;
  username: string;
  password: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  insecure_skip_tls_verify: boolean;
  pass_credentials_all: boolean;
}

export class Repositories {
  private constructor(
    private readonly renderer: HelmRenderer,
    readonly configFile: string,
    readonly cacheDir: string,
  ) {}

  static fromEnv(renderer: HelmRenderer, env = process.env): Repositories {
    const home = env.HOME ?? homedir();
    return new Repositories(
      renderer,
      env.HELM_REPOSITORY_CONFIG ??
        path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'helm', 'repositories.yaml'),
      env.HELM_REPOSITORY_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'helm', 'repository'),
    );
  }

  list(): RepositoryEntry[] {
    if (!existsSync(this.configFile)) return [];
    const file = this.renderer.yamlToJson(readFileSync(this.configFile, 'utf8')) as {
      repositories?: RepositoryEntry[];
    } | null;
    return file?.repositories ?? [];
  }

  private save(entries: RepositoryEntry[]): void {
    mkdirSync(path.dirname(this.configFile), { recursive: true });
    const file = { apiVersion: '', generated: '0001-01-01T00:00:00Z', repositories: entries };
    writeFileSync(this.configFile, this.renderer.toYaml(file), { mode: 0o644 });
  }

  /** `helm repo add NAME URL`: the index fetched (so a bad URL is refused) and cached, the entry written. */
  async add(name: string, url: string, forceUpdate: boolean): Promise<string> {
    if (name.includes('/'))
      throw new RepositoryError(`repository name (${name}) contains '/', please specify a different name without '/'`);
    const entries = this.list();
    const existing = entries.find((e) => e.name === name);
    if (existing && !forceUpdate) {
      if (existing.url === url) return `"${name}" already exists with the same configuration, skipping\n`;
      throw new RepositoryError(`repository name (${name}) already exists, please specify a different name`);
    }
    const { text, index } = await fetchIndex(this.renderer, url);
    this.cache(name, text, index);
    const entry: RepositoryEntry = {
      name,
      url,
      username: '',
      password: '',
      certFile: '',
      keyFile: '',
      caFile: '',
      insecure_skip_tls_verify: false,
      pass_credentials_all: false,
    };
    this.save([...entries.filter((e) => e.name !== name), entry]);
    return `"${name}" has been added to your repositories\n`;
  }

  /** `helm repo update [REPO...]`: each named (or every) repository's index fetched again. */
  async update(names: string[]): Promise<string> {
    const entries = this.list();
    if (entries.length === 0) throw new RepositoryError('no repositories found. You must add one before updating');
    for (const n of names)
      if (!entries.some((e) => e.name === n))
        throw new RepositoryError(`no repositories found matching '${n}'.  Nothing will be updated`);
    let out = 'Hang tight while we grab the latest from your chart repositories...\n';
    const failed: string[] = [];
    for (const e of entries.filter((x) => names.length === 0 || names.includes(x.name))) {
      try {
        const { text, index } = await fetchIndex(this.renderer, e.url);
        this.cache(e.name, text, index);
        out += `...Successfully got an update from the "${e.name}" chart repository\n`;
      } catch (err) {
        out += `...Unable to get an update from the "${e.name}" chart repository (${e.url}):\n\t${(err as Error).message}\n`;
        failed.push(e.url);
      }
    }
    if (failed.length) {
      process.stdout.write(out);
      throw new RepositoryError(`Failed to update the following repositories: [${failed.join(' ')}]`);
    }
    return `${out}Update Complete. ⎈Happy Helming!⎈\n`;
  }

  remove(names: string[]): string {
    let entries = this.list();
    let out = '';
    for (const n of names) {
      if (!entries.some((e) => e.name === n)) throw new RepositoryError(`no repo named "${n}" found`);
      entries = entries.filter((e) => e.name !== n);
      for (const suffix of ['index.yaml', 'charts.txt'])
        rmSync(path.join(this.cacheDir, `${n}-${suffix}`), { force: true });
      out += `"${n}" has been removed from your repositories\n`;
    }
    this.save(entries);
    return out;
  }

  private cache(name: string, text: string, index: IndexFile): void {
    mkdirSync(this.cacheDir, { recursive: true });
    writeFileSync(path.join(this.cacheDir, `${name}-index.yaml`), text);
    writeFileSync(path.join(this.cacheDir, `${name}-charts.txt`), Object.keys(index.entries).join('\n') + '\n');
  }

  /** A repository's cached index, as the last add or update fetched it. */
  index(name: string): IndexFile {
    const file = path.join(this.cacheDir, `${name}-index.yaml`);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new RepositoryError(
        `no cached repo found. (try 'helm repo update'): open ${file}: no such file or directory`,
      );
    }
    return parseIndex(this.renderer, text);
  }

  /**
   * `helm search repo [KEYWORD]`: the newest version of each chart (every version with `versions`; those a
   * constraint admits with `version`) whose name, description or keywords hold the keyword, by name.
   */
  search(keyword: string | undefined, opts: { versions: boolean; version?: string }): ChartVersion[][] {
    const rows: { name: string; versions: ChartVersion[] }[] = [];
    for (const e of this.list()) {
      const index = this.index(e.name);
      for (const [chart, versions] of Object.entries(index.entries)) {
        const name = `${e.name}/${chart}`;
        const text = [name, versions[0]?.description ?? '', ...(versions[0]?.keywords ?? [])].join(' ').toLowerCase();
        if (keyword && !text.includes(keyword.toLowerCase())) continue;
        let chosen = versions;
        if (opts.version !== undefined) {
          chosen = versions.filter((v) => this.renderer.pickVersion(opts.version!, [v.version]) === 0);
        }
        if (!opts.versions) chosen = chosen.slice(0, 1);
        if (chosen.length) rows.push({ name, versions: chosen });
      }
    }
    return rows
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => r.versions.map((v) => ({ ...v, name: r.name })));
  }

  /**
   * Helm's LocateChart: a local directory or archive; an `oci://` reference (the version from `--version` or the
   * tag); an http(s) URL of an archive; or `repo/chart` from a repository added here, at `--version`.
   */
  async locate(ref: string, version = ''): Promise<Chart> {
    if (existsSync(ref)) return loadChart(ref);
    if (ref.startsWith('oci://')) return loadChart(await pullOciChart(this.renderer, ref, version));
    if (/^https?:\/\//.test(ref)) return loadChart(await httpGet(ref));
    const slash = ref.indexOf('/');
    if (slash < 0 || ref.startsWith('.') || ref.startsWith('/')) {
      if (ref.startsWith('.') || ref.startsWith('/')) throw new RepositoryError(`path "${ref}" not found`);
      throw new RepositoryError(`non-absolute URLs should be in form of repo_name/path_to_chart, got: ${ref}`);
    }
    const repoName = ref.slice(0, slash);
    const chart = ref.slice(slash + 1);
    const repo = this.list().find((e) => e.name === repoName);
    if (!repo) throw new RepositoryError(`repo ${repoName} not found`);
    const found = findChartVersion(this.renderer, this.index(repoName), repoName, chart, version);
    return loadChart(await httpGet(chartUrl(repo.url, found)));
  }
}
