// Email addresses as users and operators give them: a plain addr-spec (ops@example.org), nothing
// that needs quoting, no display names, so that no header can be made of them but a list of
// addresses. Deliberately narrower than RFC 5321: an alert address is an ordinary mailbox.

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const ADDRESS = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`);

/** RFC 5321's limits: 64 characters before the @, 254 in all. */
export function isAddress(text: string): boolean {
  return text.length <= 254 && ADDRESS.test(text) && text.indexOf('@') <= 64;
}

/** "Scalarium <alerts@example.org>" or "alerts@example.org": SCALARIUM_SMTP_FROM. */
export function isFromAddress(text: string): boolean {
  const named = /^([^<>"\r\n\u0000-\u001f]{1,100}) <([^<>]+)>$/.exec(text);
  return named ? isAddress(named[2]) : isAddress(text);
}
