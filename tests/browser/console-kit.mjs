// The browser walk-throughs' shared steps: Chromium's launch for every script (the portal's
// too); for the console walk-throughs (console-walkthrough.mjs, zero-touch-walkthrough.mjs,
// knox-walkthrough.mjs, ...), checks of a page of the console's kit, its forms' fields,
// errors and notices, and screenshots of pages that fit the window.
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { chromium } from 'playwright-core';

// Debian's headless Chromium with JavaScript off, in a window of `args.width` x `args.height`,
// in English.
export async function openBrowser(args) {
  const browser = await chromium.launch({
    executablePath: process.env.CORRAL_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({
    viewport: { width: args.width, height: args.height },
    javaScriptEnabled: false,
    locale: 'en-US',
    extraHTTPHeaders: { 'accept-language': 'en-US,en;q=0.9' },
  });
  const page = await context.newPage();
  return { browser, page };
}

// The helpers for `page` (a playwright page), screenshotting into `args.outDir` with the
// window's size, adding each screenshot's path to `shots`.
export function kit(page, args, shots) {
  const size = `${args.width}x${args.height}`;

  function check(cond, what) {
    if (!cond) throw new Error(`check failed: ${what} (at ${page.url()})`);
  }

  async function heading(expected) {
    const h1 = (await page.locator('main h1').innerText()).trim();
    check(h1 === expected, `heading is "${h1}", expected "${expected}"`);
  }

  // The id the page kit gives field `name` of form `form`.
  const idOf = (form, name) => `${form}-${name.replace(/[^A-Za-z0-9]/g, '-')}`;

  // The field, checked to have a visible label tied to it.
  async function field(form, name) {
    const id = idOf(form, name);
    const input = page.locator(`#${id}`);
    check(await input.count() === 1, `one field #${id}`);
    check(await page.locator(`label[for="${id}"]`).count() === 1, `#${id} has its label`);
    return input;
  }

  async function fill(form, name, value) {
    await (await field(form, name)).fill(value);
  }

  async function choose(form, name, value) {
    await (await field(form, name)).selectOption(value);
  }

  // Clicks a link or a button that loads another page, and waits for that page to have loaded
  // (a click returns once the navigation has started, before the new page's elements are there).
  async function follow(locator) {
    await Promise.all([page.waitForEvent('load'), locator.click()]);
  }

  async function submit(form) {
    await follow(page.locator(`form#${form} button[type=submit]`).first());
  }

  // The error shown at the field, tied to it and announced in the form's summary.
  async function errorOf(form, name) {
    const id = idOf(form, name);
    const input = page.locator(`#${id}`);
    const described = (await input.getAttribute('aria-describedby')) || '';
    check(described.split(' ').includes(`${id}-error`), `${id}'s error is tied to it`);
    check(await input.getAttribute('aria-invalid') === 'true', `${id} is marked invalid`);
    check(await page.locator(`form#${form} .summary a[href="#${id}"]`).count() === 1,
      `the error summary links to ${id}`);
    return (await page.locator(`#${id}-error`).innerText()).trim();
  }

  async function notice() {
    const n = page.locator('.notice');
    check(await n.count() >= 1, 'a notice after the action');
    return (await n.first().innerText()).trim();
  }

  // Nothing sticks out of the window: the page scrolls down, never sideways (wide tables scroll
  // inside their own box).
  async function fitsTheWindow() {
    for (const sel of ['header', 'main', 'nav.menu', 'main h1', 'main .table-wrap',
      'main form:not(.table-wrap form)', 'main .card:not(.table-wrap .card)']) {
      for (const el of await page.locator(sel).all()) {
        const box = await el.boundingBox();
        if (box) {
          check(box.x >= -0.5 && box.x + box.width <= args.width + 0.5,
            `${sel} fits in ${args.width} px (${box.x}+${box.width})`);
        }
      }
    }
  }

  async function shot(name) {
    await fitsTheWindow();
    const path = join(args.outDir, `${size}-${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
  }

  async function menu(label, expected) {
    await follow(page.locator('nav.menu').getByRole('link', { name: label, exact: true }));
    await heading(expected);
  }

  // Signs in as `args.email` (tenant, password, and the code of `args.totpSecret`'s
  // authenticator); lands on the users' page.
  async function signIn() {
    await page.goto(`${args.base}/console/sign-in`);
    await heading('Sign in to the console');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(args.totpSecret), digits: 6, period: 30, algorithm: 'SHA1' });
    await fill('sign-in', 'tenant', args.tenant);
    await fill('sign-in', 'email', args.email);
    await fill('sign-in', 'password', args.password);
    await fill('sign-in', 'code', totp.generate());
    await submit('sign-in');
    await heading('Users');
  }

  return { check, heading, idOf, field, fill, choose, follow, submit, errorOf, notice, fitsTheWindow, shot, menu, signIn };
}
