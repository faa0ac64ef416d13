// POST /api/apps and PATCH /api/apps/:app.
import { z } from 'zod';
import { isValidBranchName } from '../../../core/deploy-branch.ts';
import { OBJECT_BODY, nameOf } from './fields.ts';

/** `cluster` left out (or null): the server's default cluster; app-service.ts says when there is none. */
export const newAppBody = z.object({
  name: nameOf('app'),
  cluster: nameOf('cluster').nullish(),
}, OBJECT_BODY);

const GIVE_BRANCH = 'give {"deployBranch": "main"}';

/**
 * The deploy branch is all that may change here: any other key is refused by name (the app's name,
 * cluster or formation have endpoints of their own), before a deployBranch that is missing.
 */
export const appChangeBody = z.strictObject({
  deployBranch: z.custom<string>(isValidBranchName, {
    error: (issue) => issue.input === undefined ? GIVE_BRANCH : 'deployBranch must be a branch name (letters, digits, . _ - /; e.g. main or master)',
  }),
}, {
  error: (issue) => issue.code === 'unrecognized_keys' ? `${GIVE_BRANCH}; ${String(issue.keys[0]).slice(0, 40)} cannot be changed here` : OBJECT_BODY.error,
});
