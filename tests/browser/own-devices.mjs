// A user locks, wipes and retires their own Apple devices from the portal (SPEC I1), in
// Debian's headless Chromium with JavaScript disabled, at a phone's size. Started by
// tests/tests/apple_own_devices.rs, which enrolled the devices; argv[2] is JSON:
//   { "link", "email", "password", "macId", "iphoneId", "othersId", "outDir" }
// Each action goes through its confirmation page; the Mac's PIN is read from the page that
// follows. Another user's device, by its id in the address or in a posted form, is not found.
// Prints one JSON line ({"ok": true, "lockPin", "wipePin", ...}).
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
async function follow(locator) {
  check(await locator.count() === 1, `one ${locator}`);
  await Promise.all([page.waitForEvent('load'), locator.click()]);
}
async function heading() {
  return (await page.locator('h1').innerText()).trim();
}
async function shot(name) {
  const path = join(args.outDir, `${String(shots.length + 1).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}
// The device's line on the home page.
function line(id) {
  return page.locator('ul.devices li', { has: page.locator(`a[href*="/devices/${id}/"]`) });
}
// From the home page: the action's link, its confirmation, the answer.
async function act(id, action, title, confirm, done) {
  await follow(line(id).locator(`a[href$="/devices/${id}/${action}"]`));
  check(await heading() === title, `${action}: "${title}"`);
  await shot(`${action}-confirm`);
  await follow(page.getByRole('button', { name: confirm }));
  check(await heading() === done, `${action} done: "${done}" (got "${await heading()}")`);
  await shot(`${action}-done`);
  const pin = await page.locator('p.pin').count() ? (await page.locator('p.pin').innerText()) : '';
  const digits = (pin.match(/\b\d{6}\b/) || [null])[0];
  await follow(page.getByRole('link', { name: 'Back to your devices' }));
  return digits;
}

await page.goto(args.link);
await page.getByLabel('E-mail address', { exact: true }).fill(args.email);
await page.getByLabel('Password', { exact: true }).fill(args.password);
await follow(page.getByRole('button', { name: 'Sign in' }));
const home = page.url();
check(home.endsWith('/home'), 'signed in');
for (const id of [args.macId, args.iphoneId]) {
  for (const action of ['lock', 'wipe', 'retire']) {
    check(await line(id).locator(`a[href$="/devices/${id}/${action}"]`).count() === 1,
      `${action} offered for ${id}`);
  }
}
check(await page.locator(`a[href*="/devices/${args.othersId}/"]`).count() === 0,
  "another user's device is not listed");
await shot('home');

const lockPin = await act(args.macId, 'lock', 'Lock this device?', 'Yes, lock it', 'Lock requested');
check(lockPin, "the Mac's lock PIN is shown");
await act(args.iphoneId, 'retire', 'Remove management from this device?',
  'Yes, remove management', 'Removal requested');
check(await line(args.iphoneId).locator('a').count() === 0, 'a retired device offers nothing more');
const wipePin = await act(args.macId, 'wipe', 'Wipe this device?', 'Yes, wipe it', 'Wipe requested');
check(wipePin, "the Mac's erase PIN is shown");
await shot('home-after');

// Another user's device: its address, then a posted form with this page's token.
const base = home.slice(0, -'/home'.length);
const other = await page.goto(`${base}/devices/${args.othersId}/lock`);
check(other.status() === 404, `another user's device: ${other.status()}`);
await shot('not-yours');
// The page's token (the sign-out form's), as a forged form of this user's would carry it.
await page.goto(home);
const token = await page.locator('input[name=csrf]').first().getAttribute('value');
const posted = await page.request.post(`${base}/devices/${args.othersId}/wipe`,
  { form: { csrf: token }, headers: { origin: new URL(base).origin } });
check(posted.status() === 404, `posting another user's device: ${posted.status()}`);

await browser.close();
console.log(JSON.stringify({ ok: true, lockPin, wipePin, screenshots: shots }));
