// Usage: npm install playwright-core@1.65 in a scratch folder, NODE_PATH=<it>/node_modules PLATFORM_URL=... node bench/volume/grid-pages.js
// Prerendered size and time to the last byte of the grid pages, signed in as the demo owner (5 runs after 2 warm-ups).
const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ baseURL: process.env.PLATFORM_URL });
  await page.goto('/account/sign-in');
  await page.fill('#email', 'owner@demo.local'); await page.fill('#password', 'demo-password-1');
  await page.click('button[type=submit]'); await page.waitForSelector('h1');
  for (const path of ['/datasets', '/models', '/members', '/jobs']) {
    const times = []; let size = 0;
    for (let i = 0; i < 7; i++) {
      const start = Date.now();
      const r = await page.request.get(path);
      const body = await r.body();
      if (i >= 2) times.push(Date.now() - start);
      size = body.length;
    }
    times.sort((a, b) => a - b);
    console.log(`${path}: ${(size / 1024).toFixed(1)} KB, median ${times[2]} ms (5 runs)`);
  }
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
