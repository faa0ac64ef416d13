// PUT /api/apps/:app/deploy-lock: { "reason": "release freeze" }, the reason optional. The lock
// tab's form (page.ts) reaches lockApp too, which parses what it is given with this schema.
import { z } from 'zod';
import { OBJECT_BODY } from '../../server/plugin-api.ts';

const MAX_REASON = 200;
const REASON = `reason must be one line of text, at most ${MAX_REASON} characters`;

export const lockBody = z.object({
  // Shown in every refused push's "remote:" lines: one line, no terminal control characters.
  reason: z.string({ error: REASON }).trim().max(MAX_REASON, { error: REASON }).regex(/^[^\u0000-\u001f\u007f]*$/, { error: REASON }).optional(),
}, OBJECT_BODY);
