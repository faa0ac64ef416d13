// POST /api/apps/:app/rollback and POST /api/apps/:app/deploy (a JSON body; a tarball is read as it is).
import { z } from 'zod';
import { OBJECT_BODY, releaseVersion } from './fields.ts';

/** No version (or null): the release before the live one. */
export const rollbackBody = z.object({ version: releaseVersion.optional() }, OBJECT_BODY);

const GIVE_ONE = 'give one of "commit", "release" or "archive" (or upload a tarball)';

/**
 * One of: an archive URL, a release again, or a commit id or branch ({} is the deploy branch's
 * latest commit); given more than one, that is the order that wins. Whether the commit exists, and
 * whether the server may fetch the URL, is checked when the deploy is planned (deploy-service.ts).
 */
export const deployBody = z.object({
  commit: z.string({ error: GIVE_ONE }).optional(),
  release: releaseVersion.optional(),
  archive: z.string({ error: 'archive must be an http(s) URL' }).optional(),
}, OBJECT_BODY);
