import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerLogParser } from '../serverLog';

test('records get their level, without the timestamp the channel adds itself', () => {
  const parser = new ServerLogParser();
  assert.deepEqual(
    parser.feed(
      'pyperf server 2026-11-26 09:25:49,117 INFO server: model host ready\n' +
        'pyperf server 2026-11-26 09:25:50,001 WARNING server: pyperf settings: unknown setting x (ignored)\n',
    ),
    [
      { level: 'info', text: 'server: model host ready' },
      { level: 'warn', text: 'server: pyperf settings: unknown setting x (ignored)' },
    ],
  );
});

test('partial lines wait for their end; a traceback keeps the level of its record', () => {
  const parser = new ServerLogParser();
  assert.deepEqual(parser.feed('pyperf server 2026-11-26 09:25:49,117 ERR'), []);
  assert.deepEqual(parser.feed('OR server: job failed\nTraceback (most recent call last):\n  File "x"'), [
    { level: 'error', text: 'server: job failed' },
    { level: 'error', text: 'Traceback (most recent call last):' },
  ]);
  assert.deepEqual(parser.flush(), [{ level: 'error', text: '  File "x"' }]);
  assert.deepEqual(parser.flush(), []);
});

test('anything else is info', () => {
  assert.deepEqual(new ServerLogParser().feed('llama_model_load: loaded\r\n\n'), [
    { level: 'info', text: 'llama_model_load: loaded' },
  ]);
});
