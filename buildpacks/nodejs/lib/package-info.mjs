// Reads BUILD_DIR/package.json for the Node.js buildpack's bash scripts, so they need no jq.
//
//   node package-info.mjs compile BUILD_DIR
//     prints `key=value` lines: has_dependencies=yes|no, has_build=yes|no, engines_node=<range>
//     exits 1 with a message on stderr when package.json is not a JSON object.
//   node package-info.mjs web BUILD_DIR
//     prints the default web command (one line), or nothing when there is none.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [mode, buildDir] = process.argv.slice(2);
if (!buildDir || (mode !== 'compile' && mode !== 'web')) {
  process.stderr.write('usage: package-info.mjs compile|web BUILD_DIR\n');
  process.exit(64);
}

function readPackageJson() {
  const text = readFileSync(join(buildDir, 'package.json'), 'utf8');
  const pkg = JSON.parse(text);
  if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg)) {
    throw new Error('package.json must contain a JSON object');
  }
  return pkg;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const nonEmpty = (v) => isObject(v) && Object.keys(v).length > 0;
const oneLine = (v) => String(v).replace(/[\r\n]+/g, ' ').trim();
const isFile = (name) => {
  try {
    return statSync(join(buildDir, name)).isFile();
  } catch {
    return false;
  }
};

// `node <args>` whose arguments need no shell quoting at all: safe to run without `npm start`
// (so the process gets signals directly) and safe to print as a plain YAML scalar.
const SIMPLE_NODE_COMMAND = /^node(?: [A-Za-z0-9_./=@%+,-]+)+$/;

function compileInfo() {
  let pkg;
  try {
    pkg = readPackageJson();
  } catch (err) {
    process.stderr.write(`package.json could not be read: ${err.message}\n`);
    process.exit(1);
  }
  const scripts = isObject(pkg.scripts) ? pkg.scripts : {};
  const hasDeps = ['dependencies', 'devDependencies', 'optionalDependencies'].some((k) =>
    nonEmpty(pkg[k]),
  );
  const lines = [
    `has_dependencies=${hasDeps ? 'yes' : 'no'}`,
    `has_build=${typeof scripts.build === 'string' ? 'yes' : 'no'}`,
  ];
  if (isObject(pkg.engines) && pkg.engines.node !== undefined) {
    // A non-string value is passed on as JSON so that the range check reports it as unparsable.
    const node = pkg.engines.node;
    lines.push(`engines_node=${oneLine(typeof node === 'string' ? node : JSON.stringify(node))}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function webCommand() {
  let scripts = {};
  try {
    const pkg = readPackageJson();
    if (isObject(pkg.scripts)) scripts = pkg.scripts;
  } catch {
    // compile already reported a broken package.json; fall back to the file checks below.
  }
  let command = '';
  if (typeof scripts.start === 'string' && scripts.start.trim() !== '') {
    const start = scripts.start.trim().replace(/\s+/g, ' ');
    const hooks = typeof scripts.prestart === 'string' || typeof scripts.poststart === 'string';
    command = !hooks && SIMPLE_NODE_COMMAND.test(start) ? start : 'npm start';
  } else if (isFile('server.js')) {
    command = 'node server.js';
  } else if (isFile('index.js')) {
    command = 'node index.js';
  }
  if (command) process.stdout.write(`${command}\n`);
}

if (mode === 'compile') compileInfo();
else webCommand();
