// PATCH /api/apps/:app/config: { "KEY": "value", "OLD": null }, null unsets.
import { z } from 'zod';
import { ScalariumError } from '../../../core/errors.ts';
import { isValidConfigKey } from '../../../core/names.ts';
import { refusedAs } from './parse.ts';
import { keyOf } from './fields.ts';

const MAX_CONFIG_VALUE = 32 * 1024;

const configKey = z.custom<string>(isValidConfigKey, refusedAs((key) => new ScalariumError('invalid_config_key', { key })));

const configValue = z.string({ error: (issue) => `the value of ${keyOf(issue)} must be a string or null` })
  // A NUL cannot reach a process's environment; 32 KiB keeps a release's config small.
  .refine((value) => value.length <= MAX_CONFIG_VALUE && !value.includes('\0'), refusedAs((key) => new ScalariumError('invalid_config_value', { key })))
  .nullable();

// A key named __proto__ never gets here from the API (readJson refuses the body) and zod's record
// leaves such a key out of what it answers, so it cannot reach a config object either way.
export const configBody = z.record(configKey, configValue, { error: 'expected an object of KEY: "value" (null unsets)' })
  .refine((change) => Object.keys(change).length > 0, { error: 'no config vars given' });
