// The Knox pages of the console (issue 23) walked through in Debian's headless Chromium with
// JavaScript disabled, at the size given (tests/tests/knox_console.rs runs it at 1280 x 800 and
// at 390 x 844, each against a fresh server with the KME and zero-touch stand-ins).
// Arguments as JSON in argv[2]:
//   { base, tenant, email, password, totpSecret, width, height, outDir, plugin, both, upload,
//     profile }
// Through the pages only: sign-in, the provisioning page (four devices: KME wins one, zero-touch
// one, neither two), filtered to KME, its "let zero-touch provision this device" remedy taken,
// the page again (zero-touch now), the device's page with its provisioning section, a reseller
// added after a field error, the pending upload approved with a profile, and the provisioning
// page in French. Every page is checked for its heading and for nothing wider than the window,
// and screenshotted into outDir. Prints one JSON line ({"ok": true, ...}); a failed check
// throws and the process exits non-zero.
import { mkdirSync } from 'node:fs';
import { kit, openBrowser } from './console-kit.mjs';

const args = JSON.parse(process.argv[2]);
mkdirSync(args.outDir, { recursive: true });
const { browser, page } = await openBrowser(args);
const shots = [];
const { check, heading, fill, choose, follow, submit, errorOf, notice, shot, menu, signIn } = kit(page, args, shots);
const rows = () => page.locator('main table tbody tr').count();

// 1. Sign-in with the code of the administrator's authenticator.
await signIn();

// 2. Who provisions which device, then only KME's.
await menu('Provisioning', 'Who provisions each device');
check(await rows() === 4, 'four devices (one of them uploaded, waiting for approval)');
await shot('provisioning');
await choose('filter', 'provisioned_by', 'knox-mobile-enrollment');
await submit('filter');
check(await rows() === 1, 'one device KME provisions');
const why = await page.locator('main table tbody tr td').nth(4).innerText();
check(why.includes("KME profile 'Warehouse' is assigned"), `the reason in words: ${why}`);
await shot('provisioning-kme');

// 3. The remedy: its action page, taken; zero-touch wins now.
await follow(page.locator('main table tbody a', { hasText: 'Let zero-touch provision this device' }));
await heading('Let zero-touch provision this device');
await submit('action');
check((await notice()) === 'Done.', 'the profile unassigned');
await shot('let-zero-touch');
await menu('Provisioning', 'Who provisions each device');
await choose('filter', 'provisioned_by', 'zero-touch');
await submit('filter');
check(await rows() === 2, 'zero-touch provisions two devices now');
await shot('provisioning-zero-touch');

// 4. The device's page says it too.
await follow(page.locator(`main table tbody a[href^="/console/devices/"]`).first());
check((await page.locator('main').innerText()).includes('Provisioned by'), 'the provisioning section');
await shot('device');

// 5. A reseller, refused once at its field.
const collections = `/console/plugins/${args.plugin}/collections`;
await page.goto(`${args.base}${collections}/resellers`);
await heading('Resellers');
await follow(page.locator(`main a[href="${collections}/resellers/actions/create"]`));
await fill('action', 'body/name', 'Acme Phones');
await fill('action', 'body/id', 'R 100');
await submit('action');
check((await errorOf('action', 'body/id')).length > 0, 'a reseller id without spaces');
await shot('reseller-error');
await fill('action', 'body/id', 'R-100');
await submit('action');
check((await notice()) === 'Done.', 'reseller added');
await shot('reseller');

// 6. The pending upload, approved with a profile.
await page.goto(`${args.base}${collections}/uploads`);
await heading('Uploads pending approval');
check(await rows() === 1, 'one upload pending');
await shot('uploads');
await follow(page.locator('main table tbody a').first());
await follow(page.locator('main a[href*="/actions/approve"]'));
await choose('action', 'body/profile', args.profile);
await submit('action');
check((await notice()) === 'Done.', 'upload approved');
await shot('upload-approved');

// 7. The provisioning page in French.
await menu('Provisioning', 'Who provisions each device');
await follow(page.getByRole('link', { name: 'Français' }));
await heading('Qui provisionne chaque appareil');
await shot('provisioning-fr');

await browser.close();
console.log(JSON.stringify({ ok: true, screenshots: shots }));
