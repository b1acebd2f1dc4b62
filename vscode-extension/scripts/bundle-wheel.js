#!/usr/bin/env node
// Builds the project's wheel into bundled/ so that the .vsix carries the server: the "not installed"
// notification's install command then needs no registry for the project itself (see README).
// The interpreter: $PYPERF_PYTHON, else ../.venv/bin/python, else python3. It needs pip and setuptools;
// --no-build-isolation keeps the build offline.
'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const extensionDir = path.resolve(__dirname, '..');
const repo = path.resolve(extensionDir, '..');
const venvPython = path.join(repo, '.venv', 'bin', 'python');
const python = process.env.PYPERF_PYTHON || (fs.existsSync(venvPython) ? venvPython : 'python3');
const out = path.join(extensionDir, 'bundled');

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out);
const args = ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--quiet', repo, '-w', out];
console.log(`${python} ${args.join(' ')}`);
const run = cp.spawnSync(python, args, { stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`building the wheel failed (exit ${run.status}${run.error ? `, ${run.error.message}` : ''})`);
  process.exit(1);
}
const wheels = fs.readdirSync(out).filter((name) => /^pyperf_assistant-.*\.whl$/.test(name));
if (wheels.length !== 1) {
  console.error(`expected one pyperf_assistant wheel in ${out}, found: ${wheels.join(', ') || 'none'}`);
  process.exit(1);
}
console.log(`bundled/${wheels[0]} (${(fs.statSync(path.join(out, wheels[0])).size / 1e6).toFixed(1)} MB)`);
