// A browser's requests to the admin UI without a browser: log in with an API token (the session
// cookie and its CSRF token), GET pages and POST forms the way an HTML form does.
export interface UiClient {
  get(path: string): Promise<{ status: number; html: string; location: string | null }>;
  /** A form POST with the session's CSRF token added. */
  post(path: string, form: Record<string, string>): Promise<{ status: number; html: string; location: string | null }>;
}

export async function uiLogin(baseUrl: string, token: string): Promise<UiClient> {
  const answer = async (res: Response) => ({ status: res.status, html: await res.text(), location: res.headers.get('location') });
  const login = await fetch(`${baseUrl}/login`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ token }) });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('scalarium_session='))?.split(';')[0];
  if (login.status !== 303 || !cookie) throw new Error(`UI login failed: ${login.status}`);
  const get = async (path: string) => answer(await fetch(`${baseUrl}${path}`, { redirect: 'manual', headers: { cookie } }));
  const csrf = /name="csrf" value="([^"]+)"/.exec((await get('/')).html)?.[1];
  if (!csrf) throw new Error('no CSRF token on the apps page');
  return {
    get,
    post: async (path, form) => answer(await fetch(`${baseUrl}${path}`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams({ ...form, csrf }), headers: { cookie, origin: baseUrl },
    })),
  };
}
