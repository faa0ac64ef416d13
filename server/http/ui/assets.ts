// GET /assets/style.css : the UI's one stylesheet (templates/assets/style.css), read once.
import fs from 'node:fs';
import type Router from '@koa/router';

const STYLE = new URL('../../../templates/assets/style.css', import.meta.url);
let style: string | undefined;

export function assetRoutes(router: Router): void {
  router.get('/assets/style.css', (ctx) => {
    style ??= fs.readFileSync(STYLE, 'utf8');
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = style;
  });
}
