// PATCH /api/apps/:app/formation and POST /api/apps/:app/restart. Which process types exist is the
// live release's to say: app-service.ts checks the names against it (a database read).
import { z } from 'zod';
import { describeValue } from '../../../core/names.ts';
import { OBJECT_BODY, wholeNumber } from './fields.ts';

export const MAX_PROCESSES_PER_TYPE = 100;

/** Refused as invalid_formation (parseBody's third argument): { "web": 3, "worker": 0 }. */
export const formationBody = z.record(z.string(), wholeNumber(MAX_PROCESSES_PER_TYPE, (type) => `${type} must be a whole number from 0 to ${MAX_PROCESSES_PER_TYPE}`), {
  error: 'expected {"type": count}',
}).refine((formation) => Object.keys(formation).length > 0, { error: 'no process type given' });

export const restartBody = z.object({
  // A type that is no string goes on as its description, which names no process type: restart()
  // then answers unknown_process_type with the types the release has, as for any unknown name.
  type: z.string().catch(({ value }) => describeValue(value)).optional(),
}, OBJECT_BODY);
