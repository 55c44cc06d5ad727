import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SerialQueue } from '../../../lib/index.js';
import { TendError } from '../../../spi/index.js';

type Overrides = Record<string, Record<string, string>>;

/**
 * Labels added to containers after creation. The engine cannot change an existing container's
 * labels, so `label()` records them here (one JSON file, keyed by container ID) and describe
 * overlays them on the engine's labels. One plugin process owns a state directory: writes are
 * serialized in-process and atomic (temp file + rename), not coordinated across processes.
 */
export class LabelStore {
  private readonly file: string | undefined;
  private overrides: Overrides | undefined;
  private readonly writes = new SerialQueue();

  /** Without a `stateDir` the overrides live in memory only and die with the process. */
  constructor(options: { stateDir?: string | undefined }) {
    this.file = options.stateDir === undefined ? undefined : join(options.stateDir, 'label-overrides.json');
  }

  async get(id: string): Promise<Readonly<Record<string, string>> | undefined> {
    return (await this.load())[id];
  }

  /** Every label key some container has overridden: these cannot be filtered on the engine side. */
  async overriddenKeys(): Promise<ReadonlySet<string>> {
    const keys = new Set<string>();
    for (const labels of Object.values(await this.load()))
      for (const key of Object.keys(labels)) keys.add(key);
    return keys;
  }

  async merge(id: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.update((all) => {
      all[id] = { ...all[id], ...labels };
    });
  }

  async forget(id: string): Promise<void> {
    if ((await this.load())[id] === undefined) return;
    await this.update((all) => {
      delete all[id];
    });
  }

  private async update(change: (all: Overrides) => void): Promise<void> {
    await this.writes.run(async () => {
      const all = await this.load();
      change(all);
      await this.save(all);
    });
  }

  private async load(): Promise<Overrides> {
    if (this.overrides !== undefined) return this.overrides;
    let loaded: Overrides = {};
    if (this.file !== undefined) {
      try {
        loaded = parseOverrides(await readFile(this.file, 'utf8'), this.file);
      } catch (error) {
        if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
      }
    }
    this.overrides ??= loaded;
    return this.overrides;
  }

  private async save(all: Overrides): Promise<void> {
    if (this.file === undefined) return;
    const dir = join(this.file, '..');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}

function parseOverrides(text: string, file: string): Overrides {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TendError('internal', `${file}: not valid JSON`, { cause: error });
  }
  const out: Overrides = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TendError('internal', `${file}: expected an object of container ID → labels`);
  }
  for (const [id, labels] of Object.entries(value)) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      throw new TendError('internal', `${file}: ${id}: expected an object of labels`);
    }
    const clean: Record<string, string> = {};
    for (const [key, v] of Object.entries(labels)) {
      if (typeof v !== 'string') throw new TendError('internal', `${file}: ${id}.${key}: expected a string`);
      clean[key] = v;
    }
    out[id] = clean;
  }
  return out;
}
