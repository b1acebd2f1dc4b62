#!/usr/bin/env node
// The README's settings table, generated from package.json (the one source of the settings and their words):
//   node scripts/settings-table.js          rewrites the table between the markers in README.md
//   node scripts/settings-table.js --check  exits 1, saying so, when README.md is out of date (src/test/readme.test.ts)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const extensionDir = path.resolve(__dirname, '..');
const START = '<!-- settings-table: generated from package.json by scripts/settings-table.js -->';
const END = '<!-- /settings-table -->';

/** A markdown table cell: one line, pipes escaped. */
function cell(text) {
  return String(text).replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function typeOf(property) {
  const types = [].concat(property.type).map((type) => (type === 'array' && property.items ? `${property.items.type}[]` : type));
  return property.enum ? property.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' / ') : types.join(' or ');
}

function describe(property) {
  let text = property.markdownDescription || property.description || '';
  if (property.enum && property.enumDescriptions) {
    const values = property.enum.map((value, i) => `\`${JSON.stringify(value)}\`: ${property.enumDescriptions[i]}`);
    text += ` ${values.join(' ')}`;
  }
  return cell(text);
}

/** The table, with its markers, for the `properties` of package.json's configuration. */
function settingsTable(properties) {
  const rows = Object.entries(properties).map(
    ([key, property]) =>
      `| \`${key}\` | ${cell(typeOf(property))} | \`${JSON.stringify(property.default)}\` | ${property.scope} | ` +
      `${describe(property)} |`,
  );
  return [START, '', '| setting | type | default | scope | what it does |', '|---|---|---|---|---|', ...rows, '', END].join(
    '\n',
  );
}

/** README.md's text with the table between the markers replaced by the one package.json gives. */
function updatedReadme(readme, manifest) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no settings table markers (${START} ... ${END})`);
  }
  const table = settingsTable(manifest.contributes.configuration.properties);
  return readme.slice(0, start) + table + readme.slice(end + END.length);
}

function main() {
  const readmePath = path.join(extensionDir, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));
  const updated = updatedReadme(readme, manifest);
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md settings table is out of date: run `npm run settings-table`');
      process.exit(1);
    }
    console.log('README.md settings table is up to date');
    return;
  }
  fs.writeFileSync(readmePath, updated);
  console.log(`README.md: ${Object.keys(manifest.contributes.configuration.properties).length} settings`);
}

if (require.main === module) {
  main();
}

module.exports = { settingsTable, updatedReadme };
