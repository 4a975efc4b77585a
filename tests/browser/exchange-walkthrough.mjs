// The Exchange pages of the console (issue 24) walked through in Debian's headless Chromium with
// JavaScript disabled, at the size given (tests/tests/exchange.rs runs it at 1280 x 800 and at
// 390 x 844, each against a fresh server with the Exchange stand-in).
// Arguments as JSON in argv[2]:
//   { base, tenant, email, password, totpSecret, width, height, outDir, plugin, organization,
//     endpoint, tokenUri, clientId, clientSecret, userEmail }
// Through the pages only: sign-in; a connector added after a field error, installed, with its
// log; the Password settings group refused once at its setting, then managed with Corral's
// defaults shown; an access rule; the inventory synced; Exchange's device blocked by the rule
// and why, wiped once confirmed; the inventory's page of the device with what Exchange reports,
// linked to its user by hand after a field error; that page and the plugin's settings groups in
// French. Every page is checked
// for its heading and for nothing wider than the window, and screenshotted into outDir. Prints
// one JSON line ({"ok": true, ...}); a failed check throws and the process exits non-zero.
import { mkdirSync } from 'node:fs';
import { kit, openBrowser } from './console-kit.mjs';

const args = JSON.parse(process.argv[2]);
mkdirSync(args.outDir, { recursive: true });
const { browser, page } = await openBrowser(args);
const shots = [];
const { check, heading, fill, choose, follow, submit, errorOf, notice, shot, menu, signIn } = kit(page, args, shots);
const rows = () => page.locator('main table tbody tr').count();
const text = () => page.locator('main').innerText();
const collections = `/console/plugins/${args.plugin}/collections`;

// 1. Sign-in with the code of the administrator's authenticator.
await signIn();

// 2. A connector: an endpoint that is not https refused at its field, then installed, with
//    the log of its installation.
await page.goto(`${args.base}${collections}/connectors`);
await heading('Connectors');
await follow(page.locator(`main a[href="${collections}/connectors/actions/create"]`));
await fill('action', 'body/name', 'Contoso');
await choose('action', 'body/kind', 'online');
await fill('action', 'body/endpoint', 'http://outlook.example');
await fill('action', 'body/organization', args.organization);
await fill('action', 'body/token_uri', args.tokenUri);
await fill('action', 'body/client_id', args.clientId);
await fill('action', 'body/client_secret', args.clientSecret);
await submit('action');
check((await errorOf('action', 'body/endpoint')).includes('https'), 'an https endpoint asked for');
await shot('connector-error');
await fill('action', 'body/endpoint', args.endpoint);
// A secret is never filled in again.
check((await page.locator('#action-body-client-secret').inputValue()) === '', 'the secret not echoed');
await fill('action', 'body/client_secret', args.clientSecret);
await submit('action');
check((await notice()) === 'Done.', 'connector added');
await heading('Contoso');
const connector = await text();
check(connector.includes('installed') && connector.includes('attempt-1'), 'installed, with its log');
check(!connector.includes(args.clientSecret), 'the secret is not shown');
await shot('connector');

// 3. The Password group: a length out of range refused at its setting, then the group managed,
//    the settings not given shown with Corral's defaults.
await page.goto(`${args.base}${collections}/settings`);
await heading('Settings groups');
check(await rows() === 5, 'five groups');
await shot('settings');
await follow(page.locator('main table tbody a', { hasText: 'Contoso: Password' }));
await heading('Contoso: Password');
await follow(page.locator('main a[href*="/actions/edit"]'));
await fill('action', 'body/MinPasswordLength', '17');
await submit('action');
check((await errorOf('action', 'body/MinPasswordLength')).includes('1 to 16'), 'the range named');
await shot('settings-error');
await fill('action', 'body/MinPasswordLength', '8');
await submit('action');
check((await notice()) === 'Done.', 'group saved');
check((await text()).includes("(Corral's default)"), "the defaults shown as Corral's");
await shot('settings-password');

// 4. An access rule blocking a model.
await page.goto(`${args.base}${collections}/access-rules`);
await heading('Access rules');
await follow(page.locator(`main a[href="${collections}/access-rules/actions/create"]`));
await choose('action', 'body/organization', args.organization);
await choose('action', 'body/characteristic', 'DeviceModel');
await fill('action', 'body/query_string', 'iPhone15C2');
await choose('action', 'body/level', 'Block');
await submit('action');
check((await notice()) === 'Done.', 'rule added');
await shot('access-rule');

// 5. The inventory synced: Exchange's device, blocked by the rule and why; wiped once confirmed.
await page.goto(`${args.base}/console/plugins/${args.plugin}`);
await submit('sync');
await page.goto(`${args.base}${collections}/devices`);
await heading('Exchange devices');
check(await rows() === 1, 'one device');
await follow(page.locator('main table tbody a').first());
await heading('amy_iPhone');
check((await text()).includes('Block: the rule iPhone15C2 (DeviceModel) decided'), 'the access explained');
await shot('exchange-device');
await follow(page.locator('main a[href*="/actions/wipe"]'));
await submit('action');
check((await errorOf('action', 'confirm')).length > 0, 'the wipe is confirmed first');
await page.locator('#action-confirm').check();
await submit('action');
check((await notice()) === 'Done.', 'wipe asked');
check((await text()).includes('WipePending'), 'the wipe pending');
await shot('wiped');

// 6. The inventory's page of the device: what Exchange reports; its user linked by hand.
await menu('Devices', 'Devices');
await follow(page.locator('main table tbody a', { hasText: 'amy_iPhone' }).first());
await heading('amy_iPhone');
check((await text()).includes('What the vendor reports'), "Exchange's facts");
await fill('owner', 'email', 'nobody@contoso.example');
await submit('owner');
check((await errorOf('owner', 'email')).length > 0, 'an unknown address refused at its field');
await fill('owner', 'email', args.userEmail);
await submit('owner');
check((await notice()) === "The device's user is saved.", 'the user linked');
await shot('device-owner');

// 7. That page in French.
await follow(page.getByRole('link', { name: 'Français' }));
await heading('amy_iPhone');
check((await text()).includes('Ce que le fournisseur indique'), 'in French');
await shot('device-fr');
// The plugin's own pages speak French too.
await page.goto(`${args.base}${collections}/settings`);
await heading('Groupes de paramètres');
check((await text()).includes('Mot de passe'), "the groups' names in French");
await shot('settings-fr');

await browser.close();
console.log(JSON.stringify({ ok: true, screenshots: shots }));
