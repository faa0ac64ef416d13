// scalarium-router, the process entry. Run with `node --import tsx server/router/main.ts`.
import { runRouterProcess } from './router-process.ts';

await runRouterProcess();
