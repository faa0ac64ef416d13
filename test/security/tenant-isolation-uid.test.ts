// The same hostile deployer where bubblewrap is not available (SCALARIUM_SANDBOX=off): as root,
// each app's own uid and the folders' permissions alone must keep it out.
import { tenantIsolationSuite } from '../helpers/tenant-isolation-suite.ts';

tenantIsolationSuite('off');
