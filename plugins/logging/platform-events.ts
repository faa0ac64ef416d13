// What the platform did to an app goes into the app's log next to its own lines (as Heroku's
// "heroku[api]" lines do): who changed what, and each deployment's outcome.
import type { AuditEvent, DeploymentOutcome, LogLine, Scalarium } from '../../server/plugin-api.ts';

/** Audit actions on an app (their target is the app's name) and how its log says them. */
const APP_ACTIONS: Record<string, string> = {
  'git.push': 'pushed',
  'app.deploy': 'deployed through the API',
  'config.change': 'changed config vars',
  'formation.change': 'changed the formation',
  'ps.restart': 'restarted processes',
};

export function auditLine(event: AuditEvent): Omit<LogLine, 'at'> | undefined {
  const said = APP_ACTIONS[event.action];
  if (!said || event.outcome !== 'ok' || !event.target) return undefined;
  return { app: event.target, source: 'scalarium', line: `${event.actor} ${said}` };
}

export function outcomeLine(outcome: DeploymentOutcome): Omit<LogLine, 'at'> {
  const { app, release, error } = outcome;
  const what = `release v${release.version} (${release.description}, by ${release.createdBy})`;
  return { app: app.name, source: 'scalarium', line: error ? `${what} failed to deploy: ${error.message}` : `${what} is live` };
}

export function tapPlatformEvents(scalarium: Scalarium, name: string, append: (line: LogLine) => void): void {
  const at = () => new Date().toISOString();
  scalarium.hooks.audit.tap(name, (event) => {
    const line = auditLine(event);
    if (line) append({ ...line, at: at() });
  });
  scalarium.hooks.deployed.tapPromise(name, async (outcome) => append({ ...outcomeLine(outcome), at: at() }));
  scalarium.hooks.deployFailed.tapPromise(name, async (outcome) => append({ ...outcomeLine(outcome), at: at() }));
}
