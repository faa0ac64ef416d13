// The deploy branch: the branch of an app's repository whose pushes deploy it, and which always
// points at the live release's commit (invariant 1). Heroku's samples live on master, newer
// repositories on main: until it is set, the first push of either one decides. Pushes of other
// branches are only stored.
import type { AppRow } from '../db/apps.ts';

/** The branches a first push may pick, in order of preference when one push carries both. */
export const FIRST_PUSH_BRANCHES = ['main', 'master'];

/** A plain branch name: letters, digits and . _ - /, no "..", no leading dash or dot, no ".lock". */
const BRANCH = /^(?!.*\.\.)(?!.*\/\/)(?!.*\/$)(?!.*\.lock$)[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$/;

export function isValidBranchName(value: unknown): value is string {
  return typeof value === 'string' && BRANCH.test(value);
}

/** The app's deploy branch; "main" until a first push decides. */
export function deployBranchOf(app: AppRow): string {
  return app.deploy_branch ?? 'main';
}

/** The deploy branch as a ref ("refs/heads/main"). */
export function deployRefOf(app: AppRow): string {
  return `refs/heads/${deployBranchOf(app)}`;
}
