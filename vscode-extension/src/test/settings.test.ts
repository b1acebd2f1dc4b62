import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { clientSettings, expandPath, needsRestart, serverSettings } from '../settings';

const ctx = { workspaceFolder: '/work/proj', home: '/home/ada', env: { VENV: '/opt/venv' } };

test('expandPath expands ~, ${userHome}, ${workspaceFolder} and ${env:NAME}', () => {
  assert.equal(expandPath('~', ctx), '/home/ada');
  assert.equal(expandPath('~/venv/bin/python', ctx), path.join('/home/ada', 'venv/bin/python'));
  assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', ctx), '/work/proj/.venv/bin/python');
  assert.equal(expandPath('${userHome}/kb', ctx), '/home/ada/kb');
  assert.equal(expandPath('${env:VENV}/bin/python', ctx), '/opt/venv/bin/python');
  assert.equal(expandPath('${env:NOPE}/bin/python', ctx), '/bin/python');
  assert.equal(expandPath('  /usr/bin/python3 ', ctx), '/usr/bin/python3');
  // `~` only at the start, not inside a name
  assert.equal(expandPath('/srv/~user/python', ctx), '/srv/~user/python');
});

test('${workspaceFolder} without a folder is left for the server to report', () => {
  assert.equal(expandPath('${workspaceFolder}/kb', { home: '/h' }), '${workspaceFolder}/kb');
});

test('clientSettings reads the interpreter and server args, tolerating junk', () => {
  assert.deepEqual(clientSettings({ interpreter: '${workspaceFolder}/py', serverArgs: ['--log-level', 'DEBUG'] }, ctx), {
    interpreter: '/work/proj/py',
    serverArgs: ['--log-level', 'DEBUG'],
  });
  assert.deepEqual(clientSettings({ interpreter: 42, serverArgs: ['', 7, '-x'] }, ctx), {
    interpreter: '',
    serverArgs: ['-x'],
  });
  assert.deepEqual(clientSettings(undefined, ctx), { interpreter: '', serverArgs: [] });
});

test('serverSettings drops client-only keys and expands paths; the rest passes through', () => {
  const section = {
    interpreter: '/usr/bin/python3',
    serverArgs: [],
    trace: { server: 'off' },
    modelPath: '~/models/m.gguf',
    kbPath: '',
    embedderPath: null,
    topK: 3,
    engines: { rules: true, llm: false, retrieval: true },
    verification: { timeBudgetSeconds: 30 },
  };
  assert.deepEqual(serverSettings(section, ctx), {
    modelPath: path.join('/home/ada', 'models/m.gguf'),
    kbPath: null, // empty: the server's default
    embedderPath: null,
    topK: 3,
    engines: { rules: true, llm: false, retrieval: true },
    verification: { timeBudgetSeconds: 30 },
  });
  assert.deepEqual(section.modelPath, '~/models/m.gguf', 'the input is not modified');
  // the resolved interpreter for the user's code replaces the raw setting
  assert.deepEqual(serverSettings(section, ctx, '/proj/.venv/bin/python').interpreter, '/proj/.venv/bin/python');
  assert.equal('interpreter' in serverSettings({ interpreter: '${workspaceFolder}/py' }, ctx), false);
  assert.deepEqual(serverSettings('nonsense', ctx), {});
});

test('only interpreter and server args need a restart', () => {
  const changed = (keys: string[]) => needsRestart((key) => keys.some((k) => k === key || k.startsWith(`${key}.`)));
  assert.equal(changed(['pyperf.interpreter']), true);
  assert.equal(changed(['pyperf.serverArgs']), true);
  assert.equal(changed(['pyperf.topK']), false);
  assert.equal(changed(['pyperf.engines.llm']), false);
  assert.equal(changed(['python.defaultInterpreterPath']), false);
});
