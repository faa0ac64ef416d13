// The single-file program an instance downloads at boot (GET /internal/agent.mjs): the agent, or
// the router for router instances (SCALARIUM_ROLE=router).
import { runAgentProcess } from './agent.ts';
import { runRouterProcess } from '../router/router-process.ts';

if (process.env.SCALARIUM_ROLE === 'router') await runRouterProcess();
else runAgentProcess();
