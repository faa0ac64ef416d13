// What the platform did to an app goes into the app's log next to its own lines, as Heroku's
// "heroku[api]" lines do, with the part of the platform in brackets:
//   scalarium[build]: Push by alice            scalarium[release]: Release v5 by alice
//   scalarium[deploy]: Release v5 by alice is live: Deploy 1a2b3c4
//   scalarium[scale]: Formation changed by alice
//   scalarium[ps]: web shop-web-3fa2c1d9e0 crashed (exited with code 1), restarting
import type { AuditEvent, DeploymentOutcome, LogLine, ProcessChanged, Scalarium } from '../../server/plugin-api.ts';

type Said = Omit<LogLine, 'at'>;

/** Audit actions on an app (their target is the app's name) and how its log says them. */
const APP_ACTIONS: Record<string, [part: string, said: string]> = {
  'git.push': ['build', 'Push by'],
  'app.deploy': ['build', 'Deploy through the API by'],
  'config.change': ['api', 'Config vars changed by'],
  'formation.change': ['scale', 'Formation changed by'],
  'ps.restart': ['restart', 'Processes restarted by'],
  'app.deploy-branch': ['api', 'Deploy branch changed by'],
  'build-cache.clear': ['build', 'Build cache cleared by'],
  'app.lock': ['api', 'Deploys locked by'],
  'app.unlock': ['api', 'Deploys unlocked by'],
};

export function auditLine(event: AuditEvent): Said | undefined {
  if (!event.target) return undefined;
  // release.create names "<app> v<N>".
  const release = event.action === 'release.create' && event.outcome === 'ok' ? /^(\S+) v(\d+)$/.exec(event.target) : null;
  if (release) return { app: release[1]!, source: 'scalarium', process: 'release', line: `Release v${release[2]} by ${event.actor}` };
  const known = APP_ACTIONS[event.action];
  if (!known || event.outcome === 'denied') return undefined;
  const [part, said] = known;
  return { app: event.target, source: 'scalarium', process: part, line: `${said} ${event.actor}${event.outcome === 'ok' ? '' : ` ${event.outcome}`}` };
}

export function outcomeLine(outcome: DeploymentOutcome): Said {
  const { app, release, error } = outcome;
  const what = `Release v${release.version} by ${release.createdBy}`;
  return {
    app: app.name, source: 'scalarium', process: 'deploy',
    line: error ? `${what} failed to deploy: ${error.message}` : `${what} is live: ${release.description}`,
  };
}

/** A process's new state in words; undefined for what says nothing new. */
export function processLine(change: ProcessChanged): Said | undefined {
  const who = `${change.type} ${change.processId}`;
  const why = change.reason ? ` (${change.reason})` : '';
  let line: string | undefined;
  switch (change.state) {
    case 'crashed': line = `${who} crashed${why}, restarting`; break;
    case 'failed': line = `${who} failed${why}`; break;
    case 'starting': line = change.restarts ? `${who} restarting (restart ${change.restarts})` : `${who} starting (v${change.release})`; break;
    case 'ready': line = change.restarts ? `${who} is up again after ${change.restarts} restart${change.restarts === 1 ? '' : 's'}` : `${who} is up (v${change.release})`; break;
    case 'stopped': line = `${who} stopped`; break;
  }
  return line === undefined ? undefined : { app: change.app, source: 'scalarium', process: 'ps', line };
}

export function tapPlatformEvents(scalarium: Scalarium, name: string, append: (line: LogLine) => void): void {
  const at = () => new Date().toISOString();
  const say = (line: Said | undefined) => {
    if (line) append({ ...line, at: at() });
  };
  scalarium.hooks.audit.tap(name, (event) => say(auditLine(event)));
  scalarium.hooks.processChanged.tap(name, (change) => say(processLine(change)));
  scalarium.hooks.deployed.tapPromise(name, async (outcome) => say(outcomeLine(outcome)));
  scalarium.hooks.deployFailed.tapPromise(name, async (outcome) => say(outcomeLine(outcome)));
}
