import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentSocketUrl, serverBaseUrl, shQuote, userDataScript } from './user-data.ts';

const input = { instanceId: 'prod-app-0123abcd', role: 'app', cluster: 'prod', token: 'A'.repeat(43), serverUrl: 'http://10.0.0.5:5050/', appUids: { first: 200000, last: 299999 }, appPorts: { first: 20000, last: 29999 }, limits: { SCALARIUM_APP_MEMORY: '512M', PATH: '/evil' } };

test('the script is valid POSIX sh and carries the instance, role, token and server URLs', (t) => {
  const script = userDataScript(input);
  t.true(script.startsWith('#!/bin/sh\n'));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-userdata-')), 'user-data.sh');
  fs.writeFileSync(file, script);
  const check = spawnSync('/bin/sh', ['-n', file], { encoding: 'utf8' });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  t.is(check.status, 0, check.stderr);
  t.regex(script, /SCALARIUM_INSTANCE_ID='prod-app-0123abcd'/);
  t.regex(script, /SCALARIUM_ROLE='app'/);
  t.regex(script, /SCALARIUM_HTTP_URL='http:\/\/10\.0\.0\.5:5050'/);
  t.regex(script, /SCALARIUM_SERVER_URL='ws:\/\/10\.0\.0\.5:5050\/agent'/);
  t.regex(script, /SCALARIUM_INSTANCE_ROOT:-\/var\/lib\/scalarium\/\$SCALARIUM_INSTANCE_ID/);
  t.regex(script, /echo \$! >"\$ROOT\/pid"/);
  // Apps' uids are kept from the metadata service; their folders are outside the agent's.
  t.regex(script, /iptables -I OUTPUT -d 169\.254\.169\.254 -m owner --uid-owner 200000-299999 -j REJECT/);
  t.regex(script, /ip6tables -I OUTPUT -d fd00:ec2::254 -m owner --uid-owner 200000-299999 -j REJECT/);
  t.regex(script, /SCALARIUM_APPS_DIR="\$APPS"/);
  // Apps are kept from each other's ports on loopback; the agent gets the ports and limits, nothing else.
  t.regex(script, /-I OUTPUT 1 -o lo -p tcp --dport 20000:29999 -j SCALARIUM-APP-PORTS/);
  t.regex(script, /-A SCALARIUM-APP-PORTS -p tcp -m owner --uid-owner 200000-299999 -j REJECT --reject-with tcp-reset/);
  t.regex(script, /SCALARIUM_APP_PORTS='20000-29999'/);
  t.regex(script, /export SCALARIUM_APP_MEMORY='512M'/);
  t.notRegex(script, /\/evil/);
  t.true(script.length < 16 * 1024, 'fits EC2\'s user-data limit');
});

test('values are quoted for sh; unusable ids, tokens and URLs are refused', (t) => {
  t.is(shQuote(`it's`), `'it'\\''s'`);
  t.throws(() => userDataScript({ ...input, instanceId: 'x; rm -rf /' }));
  t.throws(() => userDataScript({ ...input, token: "a'b" }));
  t.throws(() => userDataScript({ ...input, serverUrl: 'ftp://x' }));
  t.is(serverBaseUrl('wss://scalarium.example.org/'), 'https://scalarium.example.org');
  t.is(agentSocketUrl('https://scalarium.example.org'), 'wss://scalarium.example.org/agent');
});
