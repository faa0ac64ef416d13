// A new instance whose provider fails it while its setup event runs (a boot timeout firing just as
// the agent connected) stays failed: setup does not bring it back online, nothing is deployed onto
// it. The real server in-process, its instances the null provider's FAKES.
import test from 'ava';
import { until } from '../../cli/test-support.ts';
import { builtinPlugins } from '../../plugins/builtin.ts';
import { createTestScalarium } from '../../test/helpers/harness.ts';
import { findInstance, updateInstance } from '../db/instances.ts';
import type { Plugin } from './scalarium.ts';

test('an instance failed during its setup event is not set online afterwards', async (t) => {
  const failing = new Set<string>();
  const failsDuringSetup: Plugin = {
    name: 'test-fails-during-setup',
    apply(scalarium) {
      scalarium.hooks.setup.tapPromise('test', async ({ instances }) => {
        for (const instance of instances) {
          if (failing.has(instance.id)) await updateInstance(scalarium.db, instance.id, { state: 'failed', failure: 'boot timed out (the test)' });
        }
      });
    },
  };
  const s = await createTestScalarium({ plugins: [...builtinPlugins(), failsDuringSetup] });
  t.teardown(() => s.close());
  failing.add('local-app-2');
  t.is((await s.api('PATCH', '/api/clusters/local/roles', { app: 2 })).status, 200);
  await until('the setup of local-app-2 to have run', () => s.output().includes('local-app-2: set up, but it is no longer being set up (failed)'));
  const row = await findInstance(s.scalarium.db, 'local-app-2');
  t.is(row?.state, 'failed');
  t.regex(row?.failure ?? '', /boot timed out \(the test\)/);
});
