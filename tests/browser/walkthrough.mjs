// The portal walk-through in Debian's headless Chromium with JavaScript disabled, at a phone's
// size (390 x 844). Started by tests/tests/portal_browser.rs, which runs the server, the SMTP sink
// and the invitation, and passes what the mail said as JSON in argv[2]:
//   { "link", "email", "pin", "password", "outDir", "qrPrefix" }
// Every page is checked for its heading, its labelled fields and its error messages, and
// screenshotted into outDir. Prints one JSON line ({"ok": true, ...}) on success; any failed
// check throws, and the process exits non-zero with the reason.
import { openBrowser } from './console-kit.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const args = JSON.parse(process.argv[2]);
mkdirSync(args.outDir, { recursive: true });

const { browser, page } = await openBrowser({ width: 390, height: 844 });
const shots = [];

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what} (at ${page.url()})`);
}

// Clicks a link or a button that loads another page, and waits for that page to have loaded
// (a click returns once the navigation has started, before the new page's elements are there).
async function follow(locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}

async function heading(expected) {
  const h1 = (await page.locator('h1').innerText()).trim();
  check(h1 === expected, `heading is "${h1}", expected "${expected}"`);
}

// A field is there, with a visible label tied to it.
async function labelled(name, label) {
  const input = page.getByLabel(label, { exact: true });
  check(await input.count() === 1, `one input labelled "${label}"`);
  check(await input.getAttribute('name') === name, `"${label}" labels the ${name} input`);
  check(await input.isVisible(), `${name} is visible`);
}

// The error message shown next to the field, and tied to it.
async function errorOf(name) {
  const input = page.locator(`input[name=${name}]`);
  const described = (await input.getAttribute('aria-describedby')) || '';
  check(described.split(' ').includes(`${name}-error`), `${name}'s error is tied to it`);
  check(await input.getAttribute('aria-invalid') === 'true', `${name} is marked invalid`);
  return (await page.locator(`#${name}-error`).innerText()).trim();
}

// Nothing sticks out of the phone's width.
async function fitsThePhone() {
  for (const sel of ['main', 'header', 'input:visible', 'button:visible', 'a:visible', '.qr svg']) {
    for (const el of await page.locator(sel).all()) {
      const box = await el.boundingBox();
      if (box) check(box.x >= 0 && box.x + box.width <= 390.5, `${sel} fits in 390 px (${box.x}+${box.width})`);
    }
  }
}

async function shot(name) {
  await fitsThePhone();
  const path = join(args.outDir, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

// 1. The link of the invitation: the sign-in page.
await page.goto(args.link);
await heading('Sign in');
await labelled('email', 'E-mail address');
await labelled('password', 'Password');
await shot('sign-in');

// 2. A wrong password: the error next to the field, the e-mail kept.
await page.getByLabel('E-mail address', { exact: true }).fill(args.email);
await page.getByLabel('Password', { exact: true }).fill('not my password at all');
await follow(page.getByRole('button', { name: 'Sign in' }));
await heading('Sign in');
check(await errorOf('password') === 'The e-mail address or the password is wrong.', 'wrong password message');
check(await page.getByLabel('E-mail address', { exact: true }).inputValue() === args.email, 'e-mail kept');
await shot('sign-in-error');

// 3. No password yet: the PIN page; a wrong PIN first.
await follow(page.getByRole('link', { name: /one-time PIN/ }));
await heading('One-time PIN');
await labelled('email', 'E-mail address');
await labelled('pin', 'PIN');
await page.getByLabel('E-mail address', { exact: true }).fill(args.email);
const wrongPin = args.pin === '00000000' ? '11111111' : '00000000';
await page.getByLabel('PIN', { exact: true }).fill(wrongPin);
await follow(page.getByRole('button', { name: 'Continue' }));
check((await errorOf('pin')).startsWith('This e-mail address and PIN do not match a valid invitation.'), 'wrong PIN message');
await shot('pin-error');
await page.getByLabel('PIN', { exact: true }).fill(args.pin);
await follow(page.getByRole('button', { name: 'Continue' }));

// 4. Choose a password: too short first.
await heading('Choose your password');
await labelled('password', 'New password');
await labelled('confirm', 'Confirm the password');
await shot('password');
await page.getByLabel('New password', { exact: true }).fill('short');
await page.getByLabel('Confirm the password', { exact: true }).fill('short');
await follow(page.getByRole('button', { name: 'Save the password' }));
check(await errorOf('password') === 'Too short: use at least 12 characters.', 'too short message');
await shot('password-error');
await page.getByLabel('New password', { exact: true }).fill(args.password);
await page.getByLabel('Confirm the password', { exact: true }).fill(args.password);
await follow(page.getByRole('button', { name: 'Save the password' }));

// 5. Home: devices and the registration QR code, with its URL as text.
await heading('Your devices');
check(await page.getByText('No device is registered yet.').isVisible(), 'empty device list');
const qr = page.getByRole('img', { name: 'QR code for device registration' });
check(await qr.isVisible(), 'the QR code is shown');
const qrBox = await qr.locator('svg').boundingBox();
check(qrBox && qrBox.width >= 200, `the QR code is large enough to scan (${qrBox && qrBox.width} px)`);
const url = (await page.locator('#registration-url').innerText()).trim();
check(url.startsWith(args.qrPrefix), `registration URL ${url}`);
await shot('home');

// 6. French, switched and remembered.
await follow(page.getByRole('link', { name: 'Français' }));
await heading('Vos appareils');
await shot('home-fr');
await page.goto(page.url().split('?')[0]);
await heading('Vos appareils');

// 7. Sign out: back to the sign-in page (in French, remembered).
await follow(page.getByRole('button', { name: 'Se déconnecter' }));
await heading('Connexion');
await shot('signed-out-fr');

await browser.close();
console.log(JSON.stringify({ ok: true, url, screenshots: shots }));
