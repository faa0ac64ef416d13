// scalarium-agent, the process entry (the local provider runs this file; EC2 instances run the
// bundle built from server/agent/bundle-entry.ts).
import { runAgentProcess } from './agent.ts';

runAgentProcess();
