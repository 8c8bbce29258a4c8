// Browser suite: drives headless Chromium against a running Coalition server.
//
// Started by crates/server/tests/browser.rs, which serves the exercise scenario on a random
// port and passes, in the environment:
//   COALITION_URL         the server's base address, e.g. http://127.0.0.1:41234
//   COALITION_PASSWORD    the password of every test user
//   COALITION_HIDDEN      JSON list of FRA offer ids released to FRA only
//   COALITION_SHOTS       folder for screenshots
//   CHROMIUM              the browser to run (default /usr/bin/chromium)
// Exits 0 when every check holds; otherwise prints the failed check and exits 1.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const base = process.env.COALITION_URL;
const password = process.env.COALITION_PASSWORD;
const hidden = JSON.parse(process.env.COALITION_HIDDEN || "[]");
const shots = process.env.COALITION_SHOTS;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const problems = [];
let screenshots = 0;
let pagesSeen = 0;

function check(ok, what) {
  if (!ok) {
    problems.push(what);
    console.error("FAILED: " + what);
  }
}

// Whole-word mention of an offer id (FRA-1 is not FRA-15).
function mentions(text, id) {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp("(^|[^A-Za-z0-9-])" + escaped + "(?![A-Za-z0-9])").test(text);
}

async function newPage(browser, width, who) {
  const context = await browser.newContext({
    viewport: { width: width, height: width < 500 ? 844 : 900 },
    deviceScaleFactor: 1,
    isMobile: width < 500,
    hasTouch: width < 500
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    // A page answered with an error status is logged by Chromium as a failed resource; the
    // suite checks each page's status itself, so only other resources count here.
    const documentStatus =
      /^Failed to load resource/.test(message.text()) && message.location().url === page.url();
    if (message.type() === "error" && !documentStatus) {
      check(false, who + " @" + width + ": console error on " + page.url() + ": " + message.text());
    }
  });
  page.on("pageerror", (error) => {
    check(false, who + " @" + width + ": script error on " + page.url() + ": " + error.message);
  });
  page.on("response", (response) => {
    const url = response.url();
    if (url.startsWith(base) && url.includes("/assets/") && response.status() >= 400) {
      check(false, who + ": asset " + url + " answered " + response.status());
    }
  });
  return page;
}

async function signIn(page, user) {
  await page.goto(base + "/sign-in");
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForURL(base + "/"), page.getByRole("button", { name: "Sign in" }).click()]);
}

async function shoot(page, name) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
  screenshots += 1;
}

// Opens a page, checks its frame (title, main landmark, labelled inputs, no sideways scroll on
// a phone) and takes its screenshot.
async function visit(page, route, name, width) {
  const response = await page.goto(base + route);
  pagesSeen += 1;
  check(response && response.status() === 200, name + " @" + width + ": status " + (response && response.status()));
  const title = await page.title();
  check(/ · Coalition$/.test(title) && title.length > 12, name + ": meaningful title, got \"" + title + "\"");
  check((await page.locator("main#main h1").count()) === 1, name + ": one h1 in main");
  const unlabelled = await page.evaluate(() =>
    Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.closest("label"))
      .map((el) => el.name || el.id)
  );
  check(unlabelled.length === 0, name + ": inputs without labels: " + unlabelled.join(", "));
  if (width < 500) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, name + " @" + width + ": page scrolls sideways by " + overflow + " px");
  }
  if (route === "/map") {
    await page.waitForSelector("#map[data-ready]", { timeout: 20000 });
    check((await page.getAttribute("#map", "data-ready")) === "true", name + ": map data loaded");
  }
  await shoot(page, name + "-" + width);
}

async function planner(browser) {
  const page = await newPage(browser, 1280, "planner");
  await signIn(page, "planner");

  // The keyboard reaches the skip link first, and it leads to the content.
  await page.keyboard.press("Tab");
  check(
    (await page.evaluate(() => document.activeElement && document.activeElement.className)) === "skip",
    "the first Tab lands on the skip link"
  );
  await visit(page, "/", "dashboard", 1280);

  // Run a plan: progress first, then the plan page with its Gantt.
  await page.goto(base + "/plan");
  await page.getByLabel("Search time (seconds)").fill("2");
  await page.getByRole("button", { name: "Run plan" }).click();
  await page.waitForURL(/\/plan\/jobs\/\d+/);
  check((await page.locator("#job-progress").count()) === 1, "the run shows its progress");
  await page.waitForURL(/\/plans\/\d+$/, { timeout: 60000 });
  const planUrl = page.url();
  const tours = await page.locator("#gantt svg rect.tour").count();
  check(tours > 10, "the Gantt shows the plan's tours (" + tours + ")");
  check((await page.locator("#gap-table tbody tr").count()) > 0, "the gap table lists gaps with reasons");
  check((await page.locator("figure.chart-box svg.coverage").count()) >= 5, "coverage charts by line");
  // Zoom a coverage chart with the wheel, reset with a double-click.
  const chart = page.locator("figure.chart-box svg.coverage").first();
  const before = await chart.getAttribute("viewBox");
  await chart.hover();
  await page.mouse.wheel(0, -400);
  const zoomed = await chart.getAttribute("viewBox");
  check(zoomed !== before, "a coverage chart zooms (" + before + " -> " + zoomed + ")");
  await chart.dblclick();
  check((await chart.getAttribute("viewBox")) === before, "a double-click resets the zoom");
  // Sort the gap table by its weighted column.
  const weighted = page.locator("#gap-table thead th").nth(4);
  await weighted.getByRole("button", { name: "Weighted" }).click();
  const values = await page.$$eval("#gap-table tbody tr td:nth-child(5)", (cells) =>
    cells.map((c) => Number(c.textContent.replace(/[^0-9.-]/g, "")))
  );
  const ascending = values.every((v, i) => i === 0 || values[i - 1] <= v);
  check(
    values.length > 1 && ascending && (await weighted.getAttribute("aria-sort")) === "ascending",
    "the gap table sorts by a header click (" + values.slice(0, 5).join(", ") + ", ...)"
  );
  await shoot(page, "plan-1280");

  // What-if: no US backstop.
  await page.goto(base + "/what-if");
  await page.getByLabel(/^us_backstop/).selectOption("false");
  await page.getByLabel("Search time (seconds)").fill("2");
  await page.getByRole("button", { name: "Re-plan" }).click();
  await page.waitForSelector("#variant-unmet", { timeout: 60000 });
  const baseUnmet = Number((await page.textContent("#baseline-unmet")).replace(/[^0-9]/g, ""));
  const variantUnmet = Number((await page.textContent("#variant-unmet")).replace(/[^0-9]/g, ""));
  check(variantUnmet > baseUnmet, "without the US backstop the unmet requirement grows (" + baseUnmet + " -> " + variantUnmet + ")");
  check((await page.locator("#new-gaps tbody tr").count()) > 0, "what-if lists the new gaps");
  const reasons = await page.textContent("#new-gaps");
  check(/requires_assumption \(us_backstop\)/.test(reasons), "new gaps name the missing backstop as their reason");
  await shoot(page, "what-if-1280");

  for (const [route, name] of [
    ["/nations", "nations"],
    ["/nations/GBR", "nation-gbr"],
    ["/offers", "offers"],
    ["/offers/GBR-05", "offer"],
    ["/offers/new", "offer-new"],
    ["/requirements", "requirements"],
    ["/map", "map"],
    ["/timeline", "timeline"],
    ["/audit", "audit"],
    ["/report", "report"],
    ["/burden", "burden"],
    ["/commitments/PUB-2025-03-02-GBR-EXPORT-FINANCE", "commitment"],
    ["/open-data", "open-data"],
    ["/monitoring?date=2025-03-18", "monitoring"],
    ["/incidents/1", "incident"]
  ]) {
    await visit(page, route, name, 1280);
  }
  // The planner does see the French restricted offers (so the officer check below can fail).
  await page.goto(base + "/offers?nation=FRA");
  const french = await page.content();
  check(hidden.length > 0 && hidden.every((id) => mentions(french, id)), "the planner sees France's restricted offers");

  // The report prints: its print stylesheet hides the navigation.
  await page.goto(base + "/report");
  await page.emulateMedia({ media: "print" });
  check(!(await page.locator("header.top nav").isVisible()), "the printed report has no navigation");
  check((await page.locator("svg.gantt").count()) === 1, "the report carries the Gantt");
  await page.emulateMedia({ media: "screen" });

  // A phone.
  const phone = await newPage(browser, 390, "planner");
  await signIn(phone, "planner");
  for (const [route, name] of [
    ["/", "dashboard"],
    [new URL(planUrl).pathname, "plan"],
    ["/offers", "offers"],
    ["/what-if", "what-if"],
    ["/map", "map"],
    ["/report", "report"],
    ["/burden", "burden"]
  ]) {
    await visit(phone, route, name, 390);
  }
  await page.context().close();
  await phone.context().close();
  return new URL(planUrl).pathname;
}

async function officer(browser, planPath) {
  const page = await newPage(browser, 1280, "gbr.officer");
  await signIn(page, "gbr.officer");
  for (const [route, name] of [
    ["/", "officer-dashboard"],
    ["/offers", "officer-offers"],
    ["/offers?nation=FRA", "officer-offers-fra"],
    ["/nations/FRA", "officer-nation-fra"],
    ["/map", "officer-map"],
    [planPath, "officer-plan"],
    ["/report", "officer-report"],
    ["/timeline", "officer-timeline"],
    ["/burden", "officer-burden"]
  ]) {
    await visit(page, route, name, 1280);
    if (route === "/map") {
      // Hover every contingent so its tooltip (with offer ids) is in the page too.
      const markers = page.locator(".unit-symbol");
      const count = await markers.count();
      check(count > 0, "the map shows contingents as symbols");
      for (let i = 0; i < Math.min(count, 40); i += 1) {
        await markers.nth(i).hover({ force: true });
      }
    }
    const html = await page.content();
    const text = await page.evaluate(() => document.body.innerText);
    for (const id of hidden) {
      check(!mentions(html, id) && !mentions(text, id), "gbr.officer sees " + id + " on " + route);
    }
  }
  const response = await page.goto(base + "/offers/" + hidden[0]);
  check(response.status() === 404, "gbr.officer opening " + hidden[0] + " gets 404, not " + response.status());
  // An officer's form for their own offer; no what-if for them.
  await visit(page, "/offers/GBR-05", "officer-offer", 1280);
  check((await page.locator("#status-form").count()) === 1, "gbr.officer may change GBR-05's status");
  const whatIf = await page.goto(base + "/what-if");
  check(whatIf.status() === 403, "gbr.officer may not run what-ifs");
  await page.context().close();
}

async function signedOut(browser) {
  const page = await newPage(browser, 1280, "signed out");
  await visit(page, "/", "public-dashboard", 1280);
  await visit(page, "/sign-in", "sign-in", 1280);
  await page.getByLabel("User name").fill("planner");
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  check((await page.locator("[role=alert]").count()) === 1, "a wrong password is answered on the page");
  await page.goto(base + "/plan");
  check(page.url() === base + "/sign-in", "signed out, the plan page sends you to sign in");
  await page.context().close();
}

(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
  });
  try {
    const planPath = await planner(browser);
    await officer(browser, planPath);
    await signedOut(browser);
  } finally {
    await browser.close();
  }
  if (problems.length > 0) {
    console.error(problems.length + " browser check(s) failed");
    process.exit(1);
  }
  console.log("browser suite: " + pagesSeen + " page visits, " + screenshots + " screenshots in " + shots);
})().catch((error) => {
  console.error("the browser suite stopped: " + (error && error.stack ? error.stack : error));
  process.exit(1);
});
