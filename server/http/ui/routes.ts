import type Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';

// The admin UI is added in the next step.
export function uiRoutes(_scalarium: Scalarium, _router: Router): void {}
