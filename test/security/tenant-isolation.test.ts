// A hostile deployer against the apps and the platform, with bubblewrap sandboxes (as root: each app
// its own uid inside a sandbox). The suite is in test/helpers/tenant-isolation-suite.ts.
import { tenantIsolationSuite } from '../helpers/tenant-isolation-suite.ts';

tenantIsolationSuite('auto');
