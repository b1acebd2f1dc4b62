import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { PythonExtensionApi, pythonExtensionInterpreter, resolveInterpreter } from '../interpreter';

test('the setting wins and the Python extension is not even asked', async () => {
  let asked = false;
  const found = await resolveInterpreter('/opt/py/bin/python', async () => {
    asked = true;
    return '/from/extension';
  });
  assert.deepEqual(found, { path: '/opt/py/bin/python', source: 'setting' });
  assert.equal(asked, false);
});

test('then the Python extension, then python3 (python on Windows)', async () => {
  assert.deepEqual(await resolveInterpreter('', async () => '/env/bin/python'), {
    path: '/env/bin/python',
    source: 'python-extension',
  });
  assert.deepEqual(await resolveInterpreter('  ', async () => undefined, 'linux'), {
    path: 'python3',
    source: 'default',
  });
  assert.deepEqual(await resolveInterpreter('', async () => '', 'win32'), { path: 'python', source: 'default' });
});

test('a failing Python extension falls back to the default', async () => {
  const found = await resolveInterpreter('', async () => {
    throw new Error('not ready');
  }, 'linux');
  assert.deepEqual(found, { path: 'python3', source: 'default' });
});

test('the environments API of the Python extension gives the executable', async () => {
  const seen: unknown[] = [];
  const api: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: (resource) => {
        seen.push(resource);
        return { id: 'venv', path: '/proj/.venv' };
      },
      resolveEnvironment: async (env) => {
        assert.deepEqual(env, { id: 'venv', path: '/proj/.venv' });
        return { executable: { uri: { fsPath: '/proj/.venv/bin/python' } } };
      },
    },
  };
  assert.equal(await pythonExtensionInterpreter(api, 'file:///proj/a.py'), '/proj/.venv/bin/python');
  assert.deepEqual(seen, ['file:///proj/a.py']);
});

test('older Python extensions: the execution details; nothing at all: undefined', async () => {
  const legacy: PythonExtensionApi = { settings: { getExecutionDetails: () => ({ execCommand: ['/usr/bin/python3.11'] }) } };
  assert.equal(await pythonExtensionInterpreter(legacy), '/usr/bin/python3.11');
  const unresolved: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ path: '/gone' }),
      resolveEnvironment: async () => undefined,
    },
  };
  assert.equal(await pythonExtensionInterpreter(unresolved), undefined);
  assert.equal(await pythonExtensionInterpreter(undefined), undefined);
});
