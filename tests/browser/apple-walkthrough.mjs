// The Apple pages of the console (issue 25) walked through in Debian's headless Chromium with
// JavaScript disabled, at the size given (tests/tests/apple_console.rs runs it at 1280 x 800 and
// at 390 x 844, each against a fresh server with the APNs stand-in, an enrolled iPhone that
// answers whenever a push wakes it and an enrolled Mac that never does).
// Arguments as JSON in argv[2]:
//   { base, tenant, email, password, totpSecret, width, height, outDir, iphoneId, macId,
//     renewal: { certificate, key }, otherTopic: { certificate, key } }
// Through the pages only: the push certificate page (expiring soon: the warning; a bad
// certificate refused at its field; another topic refused with the consequence; the renewal
// installed), the iPhone's page (DeviceInformation sent, answered, its answer on the command's
// page and the device renamed; SecurityInfo's error chain; a lock message and a priority
// refused at their fields; a restart the device puts off, cancelled from the table), the Mac's
// page (a lock with its PIN shown; the wipe says EraseDevice), and the device page in French.
// Prints one JSON line ({"ok": true, "macPin", "screenshots"}); a failed check throws.
import { mkdirSync } from 'node:fs';
import { kit, openBrowser } from './console-kit.mjs';

const args = JSON.parse(process.argv[2]);
mkdirSync(args.outDir, { recursive: true });
const { browser, page } = await openBrowser(args);
const shots = [];
const { check, heading, fill, choose, follow, submit, errorOf, notice, shot, signIn } = kit(page, args, shots);
const main = async () => (await page.locator('main').innerText());

// The row of the first command of `kind` in the device's command table.
function commandRow(kind) {
  const table = page.locator('main table', { has: page.locator('caption', { hasText: 'MDM commands' }) });
  return table.locator('tbody tr', { hasText: kind }).first();
}
// Reloads the device's page until the command of `kind` shows `badge` (the device answers
// when the push wakes it, a moment after the page that queued the command).
async function until(kind, badge) {
  for (let i = 0; i < 80; i++) {
    const row = commandRow(kind);
    if (await row.count() === 1 && (await row.innerText()).includes(badge)) return row;
    await page.waitForTimeout(250);
    await page.reload();
  }
  check(false, `${kind} is ${badge}`);
}
async function send(kind) {
  await choose('command', 'request_type', kind);
  await submit('command');
  check((await notice()).startsWith('The command is queued'), `${kind} queued`);
}
const device = (id) => page.goto(`${args.base}/console/devices/${id}`);

// 1. Sign-in; the push certificate page from the enrolment page: it expires soon.
await signIn();
await page.goto(`${args.base}/console/enrolment`);
await follow(page.locator('main').getByRole('link', { name: 'APNs push certificate' }));
await heading('APNs push certificate');
let text = await main();
check(text.includes('Renew the push certificate'), 'the renewal warning');
check(/expires in \d+ days/.test(text), 'the days left');
await shot('push-certificate-expiring');

// 2. Not a certificate: refused at its field.
await fill('push-certificate', 'certificate', 'not a certificate');
await fill('push-certificate', 'private_key', 'not a key');
await submit('push-certificate');
check((await errorOf('push-certificate', 'certificate')).length > 0, 'the certificate refused');
await shot('push-certificate-refused');

// 3. Another topic: refused with what it would do, unless confirmed (not confirmed here).
await fill('push-certificate', 'certificate', args.otherTopic.certificate);
await fill('push-certificate', 'private_key', args.otherTopic.key);
await submit('push-certificate');
const summary = await page.locator('form#push-certificate .summary').innerText();
check(summary.includes('enrolled device(s) listen on'), `the topic change explained: ${summary}`);
await shot('topic-change-refused');

// 4. The renewal (same topic): installed, valid for a year.
await fill('push-certificate', 'certificate', args.renewal.certificate);
await fill('push-certificate', 'private_key', args.renewal.key);
await submit('push-certificate');
check((await notice()).startsWith('The push certificate is installed'), 'installed');
text = await main();
check(/valid, \d+ days left/.test(text) && !text.includes('Renew the push certificate'), 'valid');
await shot('push-certificate-renewed');

// 5. The iPhone: its information asked, answered, shown; the device renamed.
await device(args.iphoneId);
text = await main();
check(text.includes('MDM commands') && text.includes('Push topic'), 'the MDM section');
await send('DeviceInformation');
await until('DeviceInformation', 'acknowledged');
await heading("Pat's console iPhone");
await shot('device-commands');
await follow(commandRow('DeviceInformation').getByRole('link', { name: 'DeviceInformation' }));
await heading('DeviceInformation');
check((await main()).includes('F2LCONSOLE1'), "the device's answer");
await shot('command-answer');

// 6. SecurityInfo: the device's error, with its chain.
await follow(page.getByRole('link', { name: 'Back to the device' }));
await send('SecurityInfo');
await until('SecurityInfo', 'error');
await follow(commandRow('SecurityInfo').getByRole('link', { name: 'SecurityInfo' }));
text = await main();
check(text.includes('Error chain') && text.includes('12081'), 'the error chain');
await shot('command-error');

// 7. Refusals at their fields: a lock message too long, a priority out of range.
await follow(page.getByRole('link', { name: 'Back to the device' }));
await choose('command', 'request_type', 'DeviceLock');
await fill('command', 'message', 'x'.repeat(201));
await submit('command');
check((await errorOf('command', 'message')).includes('200'), 'the message refused');
await shot('command-refused');
await choose('command', 'request_type', 'RestartDevice');
await fill('command', 'message', '');
await fill('command', 'priority', '101');
await submit('command');
check((await errorOf('command', 'priority')).includes('100'), 'the priority refused');

// 8. A restart the device puts off (NotNow), cancelled from the table.
await fill('command', 'priority', '5');
await send('RestartDevice');
const restart = await until('RestartDevice', 'not now');
await follow(restart.getByRole('button', { name: 'Cancel' }));
check((await notice()).startsWith('The command is cancelled'), 'cancelled');
await heading('RestartDevice');
check((await main()).includes('cancelled'), 'its status');
await shot('command-cancelled');

// 9. The Mac: a lock gets a PIN, shown in its line; its wipe is EraseDevice.
await device(args.macId);
text = await main();
check(text.includes('EraseDevice'), 'the wipe says what it sends');
await send('DeviceLock');
const lock = commandRow('DeviceLock');
const macPin = (await lock.locator('td').nth(6).innerText()).trim();
check(/^\d{6}$/.test(macPin), `a 6-digit PIN: ${macPin}`);
check((await lock.innerText()).includes('pending'), 'the Mac has not answered');
await shot('mac-lock-pin');

// 10. In French.
await follow(page.getByRole('link', { name: 'Français' }));
text = await main();
check(text.includes('Commandes MDM') && text.includes('Envoyer une commande'), 'in French');
await shot('device-fr');

await browser.close();
console.log(JSON.stringify({ ok: true, macPin, screenshots: shots }));
