// package.json's settings are described as the ecosystem expects (markdown, enum descriptions, a scope), and the
// README's settings table is the one scripts/settings-table.js generates from them.

import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const EXTENSION_DIR = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(EXTENSION_DIR, 'scripts', 'settings-table.js');

interface Property {
  markdownDescription?: string;
  description?: string;
  scope?: string;
  enum?: unknown[];
  enumDescriptions?: string[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8'));
const properties: Record<string, Property> = manifest.contributes.configuration.properties;

test('every setting has a markdown description, a scope, and enum descriptions where it is an enum', () => {
  for (const [key, property] of Object.entries(properties)) {
    assert.ok(property.markdownDescription && property.markdownDescription.length > 20, `${key}: markdownDescription`);
    assert.equal(property.description, undefined, `${key}: one description, the markdown one`);
    assert.ok(['application', 'machine', 'window', 'resource', 'language-overridable', 'machine-overridable'].includes(
      property.scope ?? '',
    ), `${key}: scope`);
    if (property.enum) {
      assert.equal(property.enumDescriptions?.length, property.enum.length, `${key}: enumDescriptions`);
    }
  }
});

test('the README settings table is generated from package.json and up to date', () => {
  const run = cp.spawnSync(process.execPath, [SCRIPT, '--check'], { cwd: EXTENSION_DIR, encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  const { settingsTable } = require(SCRIPT) as { settingsTable: (p: Record<string, Property>) => string };
  const table = settingsTable({
    'pyperf.x': { markdownDescription: 'a | b\nc', scope: 'window', enum: ['on', 'off'], enumDescriptions: ['On.', 'Off.'] },
  } as Record<string, Property>);
  assert.match(table, /\| `pyperf\.x` \| `"on"` \/ `"off"` \| `undefined` \| window \| a \\\| b c `"on"`: On\. `"off"`: Off\. \|/);
});
