import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionDetails, detailsName } from '../details';

test('the report comes from the resolved action\'s data, else from its command\'s first argument', () => {
  const report = '## Optimize for speed\n\n5.6x faster on input1.txt';
  assert.equal(actionDetails({ title: 't', data: { uri: 'file:///a.py', details: report } }), report);
  assert.equal(actionDetails({ command: { arguments: [{ details: report }] } }), report);
});

test('no report, an empty one, or one of another type: no "Show details"', () => {
  assert.equal(actionDetails({ title: 't' }), undefined);
  assert.equal(actionDetails({ data: { details: '  ' } }), undefined);
  assert.equal(actionDetails({ data: { details: 42 } }), undefined);
  assert.equal(actionDetails({ data: 'details' }), undefined);
  assert.equal(actionDetails({ command: { arguments: [] } }), undefined);
});

test('the report tab is named after the file', () => {
  assert.equal(detailsName('/work/proj/slow.py'), 'Optimize for speed - slow.py.md');
  assert.equal(detailsName('C:\\proj\\slow.py'), 'Optimize for speed - slow.py.md');
  assert.equal(detailsName(''), 'Optimize for speed - untitled.md');
});
