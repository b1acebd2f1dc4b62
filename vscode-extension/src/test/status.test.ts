import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { Debouncer } from '../debounce';
import { stateFromNotification, statusView } from '../status';

test('the server notification becomes a state', () => {
  assert.deepEqual(stateFromNotification({ state: 'working', job: 'Optimize for speed: f' }), {
    kind: 'working',
    job: 'Optimize for speed: f',
  });
  assert.deepEqual(stateFromNotification({ state: 'ready', job: null }), { kind: 'ready' });
  assert.equal(stateFromNotification({ state: 'sleeping' }), undefined);
  assert.equal(stateFromNotification(null), undefined);
});

test('the status bar text says the state and the job; clicks show the log or retry', () => {
  assert.match(statusView({ kind: 'starting' }).text, /Pyperf: starting/);
  assert.match(statusView({ kind: 'ready' }, '/venv/bin/python').tooltip, /\/venv\/bin\/python/);
  const working = statusView({ kind: 'working', job: 'Optimize for speed: program' });
  assert.match(working.text, /working: Optimize for speed: program/);
  assert.equal(working.command, 'pyperf.showLog');
  const noPython = statusView({ kind: 'no-python' });
  assert.match(noPython.text, /needs Python 3\.11\+/);
  assert.equal(noPython.command, 'pyperf.restartServer');
  assert.equal(noPython.warning, true);
  assert.equal(statusView({ kind: 'setup-failed' }).command, 'pyperf.restartServer');
  assert.equal(statusView({ kind: 'installing' }).command, 'pyperf.showLog');
});

test('the debouncer runs once, after the last of a burst', async () => {
  let runs = 0;
  const debouncer = new Debouncer(30, () => runs++);
  debouncer.trigger();
  await sleep(10);
  debouncer.trigger();
  debouncer.trigger();
  assert.equal(debouncer.pending, true);
  await sleep(60);
  assert.equal(runs, 1);
  debouncer.trigger();
  debouncer.cancel();
  await sleep(50);
  assert.equal(runs, 1);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
