// The zero-touch pages of the console (issue 22) walked through in Debian's headless Chromium
// with JavaScript disabled, at the size given (tests/tests/zero_touch_console.rs runs it at
// 1280 x 800 and at 390 x 844, each against a fresh server with the customer API's stand-in).
// Arguments as JSON in argv[2]:
//   { base, tenant, email, password, totpSecret, width, height, outDir, plugin, imei, csv }
// Through the pages only: sign-in, the plugin's page and its collections, a configuration
// created after a field error, a device searched by IMEI and given the configuration, a CSV
// file uploaded and its job followed (the page reloads itself while it runs) to its end, its
// failed rows, the imports page, and a job's page in French. Every page is checked for its
// heading and for nothing wider than the window, and screenshotted into outDir. Prints one
// JSON line ({"ok": true, ...}); any failed check throws and the process exits non-zero.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kit, openBrowser } from './console-kit.mjs';

const args = JSON.parse(process.argv[2]);
mkdirSync(args.outDir, { recursive: true });
const { browser, page } = await openBrowser(args);
const shots = [];
const { check, heading, fill, choose, follow, submit, errorOf, notice, shot, menu, signIn } = kit(page, args, shots);

// 1. Sign-in with the code of the administrator's authenticator.
await signIn();

// 2. The plugin's page links to its collections.
await menu('Plugins', 'Plugins');
await follow(page.locator(`main a[href="/console/plugins/${args.plugin}"]`).first());
await heading('zero-touch');
const collections = `/console/plugins/${args.plugin}/collections`;
for (const c of ['customer', 'configurations', 'devices']) {
  check(await page.locator(`main a[href="${collections}/${c}"]`).count() === 1, `a link to ${c}`);
}
await follow(page.locator(`main a[href="${collections}/customer"]`));
check(await page.locator('main table tbody tr').count() === 1, 'the customer account');
await shot('zero-touch-customer');

// 3. A configuration from the plugin's form, refused once at its field.
await page.goto(`${args.base}${collections}/configurations`);
await follow(page.locator(`main a[href="${collections}/configurations/actions/create"]`));
await fill('action', 'body/configurationName', 'Sales');
await choose('action', 'body/dpcResourcePath', `customers/${args.customer}/dpcs/corral`);
await fill('action', 'body/companyName', 'Acme');
await fill('action', 'body/contactEmail', 'not an address');
await fill('action', 'body/contactPhone', '+33 (1) 23 45 67 89');
await submit('action');
check((await errorOf('action', 'body/contactEmail')).length > 0, 'the e-mail is refused at its field');
await shot('zero-touch-configuration-error');
await fill('action', 'body/contactEmail', 'help@acme.example');
await submit('action');
check((await notice()) === 'Done.', 'configuration made');
await heading('Sales');
const profile = page.url().split('/items/')[1].split('?')[0];
await shot('zero-touch-configuration');

// 4. A device found by its IMEI, given the configuration.
await page.goto(`${args.base}${collections}/devices`);
await fill('search', 'search', args.imei);
await submit('search');
check(await page.locator('main table tbody tr').count() === 1, 'one device found');
await shot('zero-touch-devices');
await follow(page.locator('main table tbody a').first());
await follow(page.locator('main a[href*="/actions/apply-configuration"]'));
await choose('action', 'body/configuration', profile);
await submit('action');
check((await notice()) === 'Done.', 'configuration applied');
await shot('zero-touch-device');

// 5. A CSV file: uploaded from the devices' page, its job followed to its end.
await page.goto(`${args.base}${collections}/devices`);
const file = join(args.outDir, `${args.width}x${args.height}-devices.csv`);
writeFileSync(file, args.csv.replaceAll('{profile}', profile));
await page.locator('form#import-zero-touch-apply input[type=file]').setInputFiles(file);
await submit('import-zero-touch-apply');
check(page.url().includes('/console/imports/'), 'the job\'s page');
check(await page.locator('main progress').count() === 2, 'two progress bars');
await shot('zero-touch-import');
for (let i = 0; i < 100 && await page.locator('meta[http-equiv="refresh"]').count() > 0; i++) {
  await page.waitForTimeout(200);
  await page.reload();
}
check(await page.locator('meta[http-equiv="refresh"]').count() === 0, 'the job ended');
check((await page.locator('main').innerText()).includes('Done'), 'the job is done');
await shot('zero-touch-import-done');
await follow(page.locator('main a[href$="/failures"]'));
check(await page.locator('main table tbody tr').count() === 1, 'one failed row');
check((await page.locator('main table tbody tr td').first().innerText()).trim() === '3', 'at line 3');
await shot('zero-touch-failed-rows');

// 6. The imports page with the notification; the job's page in French.
await menu('Imports', 'Imports');
check(await page.locator('main table').count() === 2, 'notifications and imports');
await shot('imports');
await follow(page.locator('main a[href^="/console/imports/"]').first());
await follow(page.getByRole('link', { name: 'Français' }));
check((await page.locator('main').innerText()).includes('Lignes vérifiées'), 'in French');
await shot('zero-touch-import-fr');

await browser.close();
console.log(JSON.stringify({ ok: true, screenshots: shots }));
