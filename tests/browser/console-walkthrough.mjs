// The administrator console's walk-through in Debian's headless Chromium with JavaScript
// disabled, at the size given (tests/tests/console_browser.rs runs it at 1280 x 800 and at
// 390 x 844, each against a fresh server). Arguments as JSON in argv[2]:
//   { base, tenant, email, password, width, height, outDir, example, exampleV2, amapi,
//     ldap: { url, bindDn, bindPassword, baseDn }, deviceName, sentence }
// Through the pages only: the first sign-in sets the authenticator up (the TOTP code is
// computed from the key the page shows), then a user is created and invited, a directory user
// imported, unmanaged devices switched on, a user labelled, the feature switched off for good,
// a plugin uploaded, activated and rolled back, a COSU configuration created after a field
// error, a device retired, and the history of each read. Every page is checked for its heading
// and for nothing wider than the window, and screenshotted into outDir. Prints one JSON line
// ({"ok": true, ...}); any failed check throws and the process exits non-zero.
import * as OTPAuth from 'otpauth';
import { mkdirSync } from 'node:fs';
import { kit, openBrowser } from './console-kit.mjs';

const args = JSON.parse(process.argv[2]);
mkdirSync(args.outDir, { recursive: true });

const { browser, page } = await openBrowser(args);
const shots = [];

const { check, heading, field, fill, choose, follow, submit, errorOf, notice, shot, menu } = kit(page, args, shots);

async function historyRows() {
  await heading('History');
  return await page.locator('main tbody tr').count();
}

// 1. Sign-in: the first one sets the authenticator app up from the key the page shows.
await page.goto(`${args.base}/console/sign-in`);
await heading('Sign in to the console');
await shot('sign-in');
await fill('sign-in', 'tenant', args.tenant);
await fill('sign-in', 'email', args.email);
await fill('sign-in', 'password', args.password);
await submit('sign-in');
await heading('Set up your authenticator app');
const key = (await page.locator('.qr code').innerText()).trim();
check(await page.getByRole('img', { name: 'QR code to add this account to an authenticator app' }).isVisible(),
  'the QR code is shown');
await shot('authenticator');
const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key.replace(/\s/g, '')), digits: 6, period: 30, algorithm: 'SHA1' });
const code = totp.generate();
await fill('set-up', 'code', code === '000000' ? '111111' : '000000');
await submit('set-up');
check((await errorOf('set-up', 'code')).startsWith('This code is not the one expected'), 'wrong code refused');
await shot('authenticator-error');
await fill('set-up', 'code', totp.generate());
await submit('set-up');
await heading('Users');

// 2. A user, created (a field error first) and invited.
await fill('add', 'email', 'not an address');
await fill('add', 'first_name', 'Ann');
await fill('add', 'last_name', 'Lee');
await submit('add');
check((await errorOf('add', 'email')).length > 0, 'the e-mail is refused at its field');
check(await (await field('add', 'first_name')).inputValue() === 'Ann', 'what was typed stays');
await shot('users-add-error');
await fill('add', 'email', 'ann@acme.example');
await submit('add');
check((await notice()) === 'The user was added.', 'user added');
await page.getByRole('checkbox', { name: 'Select ann@acme.example' }).check();
await choose('bulk', 'action', 'invite');
await submit('bulk');
check((await notice()) === 'Invitations sent.', 'invitation sent');
await shot('users');

// 3. A directory user, imported.
await follow(page.getByRole('link', { name: 'Import users from the directory' }));
await heading('Directory');
await fill('directory', 'url', args.ldap.url);
await fill('directory', 'bind_dn', args.ldap.bindDn);
await fill('directory', 'bind_password', args.ldap.bindPassword);
await fill('directory', 'base_dn', args.ldap.baseDn);
await submit('directory');
check((await notice()).startsWith('The directory answered'), 'directory saved');
await fill('search', 'q', 'dupr');
await submit('search');
await page.locator('main tbody input[type=checkbox]').first().check();
await submit('import');
check((await notice()) === 'The chosen entries are now users.', 'entry imported');
await shot('directory');

// 4. Unmanaged devices on; a user labelled after the confirmation.
await menu('Unmanaged devices', 'Unmanaged devices');
await submit('enable');
check((await notice()) === 'Unmanaged devices are on.', 'feature on');
await shot('unmanaged-on');
await menu('Users', 'Users');
await page.getByRole('checkbox', { name: 'Select ann@acme.example' }).check();
await choose('bulk', 'action', 'label');
await submit('bulk');
await heading('Change the unmanaged label?');
check(await page.getByText('ann@acme.example').count() >= 1, 'the confirmation lists the user');
await shot('label-confirm');
await submit('confirm');
check((await notice()) === 'Labels changed.', 'label changed');
const annHref = await page.getByRole('link', { name: 'ann@acme.example' }).getAttribute('href');

// 5. Switched off for good, behind the exact sentence.
await menu('Unmanaged devices', 'Unmanaged devices');
check(await page.getByText('ann@acme.example').count() >= 1, 'what it will touch is listed first');
await fill('deactivate', 'confirmation', 'yes');
await submit('deactivate');
check((await errorOf('deactivate', 'confirmation')).length > 0, 'a wrong sentence is refused');
await shot('unmanaged-off-error');
await fill('deactivate', 'confirmation', args.sentence);
await submit('deactivate');
check((await notice()) === 'Unmanaged devices are switched off for good.', 'feature off for good');
await shot('unmanaged-off');

// 6. A plugin: uploaded, allowed, activated, a second version activated, rolled back.
await menu('Plugins', 'Plugins');
await shot('plugins');
await (await field('upload', 'component')).setInputFiles(args.example);
await submit('upload');
await heading('example');
for (const capability of ['logging', 'kv', 'clock']) {
  await page.locator(`form#grants input[name=capabilities][value=${capability}]`).check();
}
await submit('grants');
check((await notice()) === 'What the plugin may use is saved.', 'grants saved');
await submit('activate-1');
check((await notice()) === 'The version is active.', 'version 1 active');
await (await field('upload', 'component')).setInputFiles(args.exampleV2);
await submit('upload');
await submit('activate-2');
check((await notice()) === 'The version is active.', 'version 2 active');
const rollBack = page.locator('form#activate-1 button');
check((await rollBack.innerText()).trim() === 'Roll back to this one', 'version 1 offers a roll back');
await follow(rollBack);
check((await notice()) === 'The version is active.', 'rolled back');
check((await page.locator('main tbody tr', { hasText: '#1' }).first().innerText()).includes('active'),
  'version 1 is the active one');
await shot('plugin');
const pluginUrl = page.url().split('?')[0];

// 7. A COSU configuration: the plugin's field error first, then saved.
await menu('Plugins', 'Plugins');
await (await field('upload', 'component')).setInputFiles(args.amapi);
await submit('upload');
await heading('amapi');
for (const choice of await page.locator('form#grants label.choice').filter({ hasText: 'requested' }).all()) {
  await choice.locator('input').check();
}
await submit('grants');
await submit('activate-1');
check((await notice()) === 'The version is active.', 'AMAPI active');
await menu('Configurations', 'Configurations');
await shot('configurations');
await follow(page.locator('main tbody').getByRole('link', { name: 'amapi' }));
await follow(page.getByRole('link', { name: 'New configuration: Dedicated device (COSU)' }));
await heading('New configuration: Dedicated device (COSU)');
await fill('configuration', 'name', 'Lobby kiosk');
await fill('configuration', 'body/pinnedApp/packageName', 'com.acme.kiosk');
await choose('configuration', 'body/pinnedApp/source', 'in_house');
await submit('configuration');
check((await errorOf('configuration', 'body/pinnedApp/source')).includes('in-house'),
  "the plugin's error is at its field");
check(await (await field('configuration', 'name')).inputValue() === 'Lobby kiosk', 'what was typed stays');
await shot('configuration-error');
await choose('configuration', 'body/pinnedApp/source', 'public');
await submit('configuration');
await heading('Lobby kiosk');
check((await notice()).startsWith('The plugin accepted the configuration'), 'configuration saved');
await shot('configuration');
const configurationUrl = page.url().split('?')[0];

// 8. A device, retired from its page.
await menu('Devices', 'Devices');
await shot('devices');
await follow(page.getByRole('link', { name: args.deviceName }));
await heading(args.deviceName);
await submit('act-retire');
check((await notice()).startsWith('The device is retired'), 'device retired');
await shot('device');
const deviceUrl = page.url().split('?')[0];

// 9. The history of each.
for (const [what, url] of [['user', `${args.base}${annHref}`], ['plugin', pluginUrl],
  ['configuration', configurationUrl], ['device', deviceUrl]]) {
  await page.goto(url);
  if (what === 'user') await shot('user');
  await follow(page.locator('main').getByRole('link', { name: /^History/ }).first());
  check(await historyRows() >= 1, `the ${what}'s history has entries`);
  await shot(`history-${what}`);
}
await menu('History', 'History');
await fill('filter', 'type', 'unmanaged_devices');
await submit('filter');
check(await historyRows() >= 2, 'the feature on, then off for good');
await shot('history-unmanaged');

// 10. The other pages, and French.
await menu('Apps', 'Apps');
await shot('apps');
await menu('Enrolment', 'Enrolment');
await shot('enrolment');
await menu('Administrators', 'Administrators');
await shot('admins');
await follow(page.getByRole('link', { name: 'Français' }));
await heading('Administrateurs');
await shot('admins-fr');

await browser.close();
console.log(JSON.stringify({ ok: true, screenshots: shots }));
