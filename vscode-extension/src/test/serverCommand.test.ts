import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { findBundledWheel, installSource, serverCommand } from '../serverCommand';

test('the server command line: -m server --stdio, then the extra arguments', () => {
  const cmd = serverCommand('/venv/bin/python', ['--log-level', 'DEBUG'], '/ext', { PATH: '/usr/bin' });
  assert.equal(cmd.command, '/venv/bin/python');
  assert.deepEqual(cmd.args, ['-m', 'server', '--stdio', '--log-level', 'DEBUG']);
  assert.equal(cmd.options.cwd, '/ext');
  assert.equal(cmd.options.env.PATH, '/usr/bin');
  assert.equal(cmd.options.env.PYTHONUNBUFFERED, '1');
  // the private environment never sees a PYTHONPATH meant for the user's Python
  const isolated = serverCommand('/venv/bin/python', [], '/ext', { PYTHONPATH: '/proj', PYTHONHOME: '/x', HOME: '/h' });
  assert.deepEqual(isolated.options.env, { HOME: '/h', PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' });
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

test('installSource: the bundled wheel, else the project folder of a source checkout', () => {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'pyperf-src-'));
  const extension = path.join(project, 'vscode-extension');
  fs.mkdirSync(path.join(extension, 'bundled'), { recursive: true });
  assert.equal(installSource(extension), undefined);
  fs.writeFileSync(path.join(project, 'pyproject.toml'), '');
  assert.equal(installSource(extension), project);
  const wheel = path.join(extension, 'bundled', 'pyperf_assistant-0.2.0-py3-none-any.whl');
  fs.writeFileSync(wheel, '');
  assert.equal(installSource(extension), wheel);
  fs.rmSync(project, { recursive: true });
});
