// One API request as a test makes it: Bearer token, JSON body, the answer parsed when it is JSON.
export interface ApiAnswer<T = any> { status: number; body: T }

export async function apiRequest<T = any>(baseUrl: string, token: string, method: string, apiPath: string, body?: unknown): Promise<ApiAnswer<T>> {
  const res = await fetch(`${baseUrl}${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text answers (logs) stay text
  }
  return { status: res.status, body: parsed as T };
}
