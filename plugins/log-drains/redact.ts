// How a drain URL is shown everywhere (the API, the CLI, the UI, audit rows, log lines, errors):
// a user name, a password, the path and every query value are replaced by "***" / "…", because
// that is where drain services put their tokens (Loggly's /bulk/TOKEN/, Sumo's /receiver/v1/http/TOKEN). No imports: the CLI uses it too (drains:remove URL).

const HIDDEN = '***';

/** The URL with its credentials hidden; something that is not a URL is hidden whole. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return HIDDEN;
  }
  const user = parsed.username ? `${HIDDEN}${parsed.password ? `:${HIDDEN}` : ''}@` : '';
  const query = [...parsed.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=${HIDDEN}`).join('&');
  const path = parsed.pathname === '' || parsed.pathname === '/' ? parsed.pathname : '/…';
  return `${parsed.protocol}//${user}${parsed.host}${path}${query ? `?${query}` : ''}`;
}
