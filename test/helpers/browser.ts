// The headless Chromium of the UI tests: Debian's (CHROMIUM_PATH elsewhere), with the flags this
// machine needs (no sandbox as root, and none of the background connections its closed network refuses).
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Logs the page in through the log-in form with an API token (a plain form: it needs no script). */
export async function logInWithToken(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('form:has(input[name=token]) button')]);
}

/**
 * A new 1200×900 page logged in with the token; `dialogs` collects what alert()/confirm() said (each
 * dismissed), so a test can assert that no injected script ran.
 */
export async function loggedInPage(browser: Browser, baseUrl: string, token: string): Promise<{ page: Page; dialogs: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await logInWithToken(page, baseUrl, token);
  return { page, dialogs };
}
