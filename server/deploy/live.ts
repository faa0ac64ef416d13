// Deploys that outlive their request. A deploy started from the CLI or the UI runs on in the server
// when the client goes away (Ctrl-C, a closed tab); its output is kept here so that anyone allowed
// to see the app can follow it from the first line, while it runs and for a while after it ended.
import crypto from 'node:crypto';
import type { Scalarium } from '../core/scalarium.ts';
import type { Release } from '../db/releases.ts';
import type { Output } from '../core/types.ts';
import { asScalariumError, type ScalariumError } from '../core/errors.ts';

/** Lines kept per deploy (a build's output is capped before this, server/core/pipeline.ts). */
const MAX_LINES = 20_000;
/** How long an ended deploy can still be followed. */
const KEEP_ENDED_MS = 30 * 60_000;
/** Ended deploys kept per server, the oldest dropped first. */
const MAX_ENDED = 50;

export type LiveOutcome = { release: Release } | { error: ScalariumError };

export interface LiveDeploy {
  id: string;
  app: string;
  what: string;
  by: string;
  startedAt: string;
  lines: string[];
  outcome?: LiveOutcome;
  endedAt?: string;
}

/** Receives a deploy's lines from the first one on, then its outcome. */
export interface Follower {
  line(text: string): void;
  end(outcome: LiveOutcome): void;
}

interface Entry {
  deploy: LiveDeploy;
  followers: Set<Follower>;
  ended: number;
}

const registries = new WeakMap<Scalarium, Map<string, Entry>>();

function registry(scalarium: Scalarium): Map<string, Entry> {
  let map = registries.get(scalarium);
  if (!map) registries.set(scalarium, (map = new Map()));
  return map;
}

/**
 * Runs `work` detached from whoever asked for it and returns at once. `work` gets an Output whose
 * lines reach every follower; a failure is kept as the deploy's outcome, never thrown.
 */
export function startLiveDeploy(
  scalarium: Scalarium,
  meta: { app: string; what: string; by: string },
  work: (output: Output) => Promise<Release>,
): LiveDeploy {
  const map = registry(scalarium);
  forgetOld(map);
  const deploy: LiveDeploy = { id: crypto.randomBytes(6).toString('hex'), ...meta, startedAt: new Date().toISOString(), lines: [] };
  const entry: Entry = { deploy, followers: new Set(), ended: 0 };
  map.set(deploy.id, entry);
  const output: Output = {
    line(text) {
      if (deploy.lines.length >= MAX_LINES) return;
      deploy.lines.push(text);
      for (const follower of entry.followers) follower.line(text);
    },
  };
  const finish = (outcome: LiveOutcome) => {
    deploy.outcome = outcome;
    deploy.endedAt = new Date().toISOString();
    entry.ended = Date.now();
    for (const follower of entry.followers) follower.end(outcome);
    entry.followers.clear();
  };
  // Started on the next turn, so the caller can subscribe before the first line.
  setImmediate(() => {
    work(output).then((release) => finish({ release }), (error: unknown) => finish({ error: asScalariumError(error) }));
  });
  return deploy;
}

export function findLiveDeploy(scalarium: Scalarium, app: string, id: string): LiveDeploy | undefined {
  const entry = registry(scalarium).get(id);
  return entry && entry.deploy.app === app ? entry.deploy : undefined;
}

/** The app's deploys this server knows of, newest first. */
export function listLiveDeploys(scalarium: Scalarium, app: string): LiveDeploy[] {
  forgetOld(registry(scalarium));
  return [...registry(scalarium).values()].map((e) => e.deploy).filter((d) => d.app === app).reverse();
}

/** Replays what the deploy printed so far, then follows it; an ended deploy ends at once. */
export function followLiveDeploy(scalarium: Scalarium, deploy: LiveDeploy, follower: Follower): () => void {
  for (const line of deploy.lines) follower.line(line);
  const entry = registry(scalarium).get(deploy.id);
  if (deploy.outcome || !entry) {
    follower.end(deploy.outcome ?? { error: asScalariumError(new Error('the deploy was forgotten')) });
    return () => {};
  }
  entry.followers.add(follower);
  return () => entry.followers.delete(follower);
}

/** Resolves with the deploy's outcome (for callers that wait, like the JSON API). */
export function liveOutcome(scalarium: Scalarium, deploy: LiveDeploy): Promise<LiveOutcome> {
  return new Promise((resolve) => followLiveDeploy(scalarium, deploy, { line: () => {}, end: resolve }));
}

function forgetOld(map: Map<string, Entry>): void {
  const now = Date.now();
  const ended = [...map.values()].filter((e) => e.ended);
  for (const entry of ended) if (now - entry.ended > KEEP_ENDED_MS) map.delete(entry.deploy.id);
  const left = ended.filter((e) => map.has(e.deploy.id));
  for (const entry of left.slice(0, Math.max(0, left.length - MAX_ENDED))) map.delete(entry.deploy.id);
}
