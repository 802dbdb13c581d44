/* cxbot's dashboard: plain JavaScript, no build step. Every figure and every word comes from the
   API already formatted in the admin's language; this file only lays them out. Text from
   respondents is always set with textContent, never parsed as HTML. */
"use strict";

const tg = window.Telegram && window.Telegram.WebApp;

/* The launch data: Telegram.WebApp.initData, or the URL fragment Telegram opens the page with
   when telegram-web-app.js could not be loaded. */
function launchData() {
  if (tg && tg.initData) return tg.initData;
  const fragment = new URLSearchParams(location.hash.slice(1));
  return fragment.get("tgWebAppData") || "";
}

const AUTH = launchData();
const state = {
  tab: "overview", survey: null, period: "all", segment: null, compared: new Set(), comparedPeriods: new Set(),
};
let me = null;
let S = {};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class Refused extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: "tma " + AUTH } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, body.error || "");
  return body;
}

function denied(message) {
  document.getElementById("tabs").replaceChildren();
  show(el("p", { class: "denied", "data-testid": "denied", text: message }));
}

function show(...nodes) {
  document.getElementById("view").replaceChildren(...nodes);
}

async function guarded(work) {
  try {
    await work();
  } catch (error) {
    if (error instanceof Refused && (error.status === 401 || error.status === 403)) {
      denied(error.message);
    } else if (error instanceof Refused) {
      show(el("p", { class: "muted", "data-testid": "error", text: error.message }));
    } else {
      console.error(error);
      show(el("p", { class: "muted", "data-testid": "error", text: S.error || "Error" }));
    }
  }
}

/* navigation */

const TABS = ["overview", "survey", "compare", "touchpoints", "pulses"];

function tabs() {
  document.getElementById("tabs").replaceChildren(
    ...TABS.map((name) =>
      el("button", {
        role: "tab", "data-tab": name, "aria-selected": String(state.tab === name),
        onclick: () => go(name), text: S[name],
      })
    )
  );
}

function go(tab, changes) {
  Object.assign(state, changes || {});
  state.tab = tab;
  tabs();
  window.scrollTo(0, 0);
  guarded(VIEWS[tab]);
}

/* periods: months and quarters for every survey; windows of days for non-anonymous ones */

function calendarPeriods() {
  const now = new Date();
  const months = [];
  for (let back = 0; back < 6; back++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    const name = d.toISOString().slice(0, 7);
    const label = new Intl.DateTimeFormat(me.language, { month: "long", year: "numeric", timeZone: "UTC" }).format(d);
    months.push([name, label]);
  }
  const quarters = [];
  let year = now.getUTCFullYear(), quarter = Math.floor(now.getUTCMonth() / 3) + 1;
  for (let back = 0; back < 4; back++) {
    quarters.push([`${year}-Q${quarter}`, `${year} Q${quarter}`]);
    quarter -= 1;
    if (quarter === 0) { quarter = 4; year -= 1; }
  }
  return [...quarters, ...months];
}

function periodPicker(anonymous, onchange) {
  const options = [["all", S.all_time]];
  if (!anonymous) for (const days of [7, 30, 90]) options.push([`${days}d`, S.last_days.replace("{days}", days)]);
  options.push(...calendarPeriods());
  if (!options.some(([value]) => value === state.period)) options.push([state.period, state.period]);
  const select = el("select", { "aria-label": S.period, "data-testid": "period", onchange: () => onchange(select.value) },
    options.map(([value, label]) => el("option", { value, selected: value === state.period, text: label })));
  const parts = [el("label", {}, S.period + " ", select)];
  if (!anonymous) {
    const custom = el("input", { placeholder: S.custom, size: 14, "data-testid": "custom-period" });
    parts.push(custom, el("button", { class: "button", onclick: () => custom.value.trim() && onchange(custom.value.trim()), text: S.apply }));
  }
  return parts;
}

/* small drawings */

function sparkline(points) {
  const values = points.filter((v) => v !== null);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 32");
  svg.setAttribute("preserveAspectRatio", "none");
  if (values.length < 2) return svg;
  const low = Math.min(...values), high = Math.max(...values), span = high - low || 1;
  let d = "", pen = "M";
  points.forEach((value, i) => {
    if (value === null) { pen = "M"; return; }
    const x = points.length === 1 ? 50 : (100 * i) / (points.length - 1);
    const y = 30 - (28 * (value - low)) / span;
    d += `${pen}${x.toFixed(1)},${y.toFixed(1)} `;
    pen = "L";
  });
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", d.trim());
  path.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(path);
  return svg;
}

function changeNode(change) {
  if (!change) return null;
  const cls = change.value > 0 ? "up" : change.value < 0 ? "down" : "muted";
  return el("span", { class: cls, title: S.change, "data-testid": "change", text: change.text });
}

function trendChart(trend, title) {
  const box = el("div", { id: "chart", "data-testid": "chart" });
  if (!window.uPlot || trend.length < 2) return box;
  const labels = trend.map((t) => t.bucket);
  const data = [trend.map((_, i) => i), trend.map((t) => (t.figure ? t.figure.value : null))];
  requestAnimationFrame(() => {
    const style = getComputedStyle(document.body);
    const fg = style.getPropertyValue("--fg").trim() || "#888";
    const line = style.getPropertyValue("--button").trim() || "#2481cc";
    const axis = { stroke: fg, grid: { stroke: "rgba(128,128,128,.2)" }, ticks: { show: false } };
    new uPlot({
      width: box.clientWidth || 320, height: 220, legend: { show: false },
      scales: { x: { time: false } },
      axes: [{
        ...axis,
        // a tick on every bucket, or every few when they would crowd the width
        splits: (u) => data[0].filter((i) => i % Math.max(1, Math.ceil(labels.length / (u.width / 80))) === 0),
        values: (_u, ticks) => ticks.map((i) => labels[i] || ""),
      }, { ...axis, size: 44 }],
      series: [{}, { label: title, stroke: line, width: 2, points: { size: 6, fill: line }, spanGaps: false }],
    }, data, box);
  });
  return box;
}

/* views */

async function overview() {
  const data = await api(`/api/overview?period=${encodeURIComponent(state.period)}`);
  const cards = data.surveys.map((card) =>
    el("button", { class: "card", "data-testid": "card", "data-survey": card.survey.id,
        onclick: () => go("survey", { survey: card.survey.id, segment: null }) },
      el("div", { class: "name", text: card.survey.title }),
      el("div", { class: "headline" },
        el("span", { class: "big", "data-testid": "headline", text: card.headline.text }),
        el("span", { class: "muted", text: card.survey.score_name }),
        changeNode(card.change)),
      el("div", { class: "muted", text: `${S.responses}: ${card.headline.n_text}` }),
      sparkline(card.spark)));
  show(
    el("h1", { text: S.overview }),
    el("div", { class: "controls" }, periodPicker(false, (p) => go("overview", { period: p }))),
    cards.length ? el("div", { class: "cards" }, cards) : el("p", { class: "muted", text: S.nothing_yet }),
    data.calendar_only.length
      ? el("p", { class: "muted", "data-testid": "calendar-only",
          text: S.calendar_only.replace("{surveys}", data.calendar_only.map((s) => s.title).join(", ")) })
      : null
  );
}

function surveyPicker(onchange) {
  const select = el("select", { "aria-label": S.survey, "data-testid": "survey-picker", onchange: () => onchange(select.value) },
    me.surveys.map((s) => el("option", { value: s.id, selected: s.id === state.survey, text: s.title })));
  return select;
}

function currentSurvey() {
  if (!state.survey || !me.surveys.some((s) => s.id === state.survey)) state.survey = me.surveys[0].id;
  const survey = me.surveys.find((s) => s.id === state.survey);
  if (survey.anonymous && /d$/.test(state.period)) state.period = "all";
  return survey;
}

/* A file to download: the server gives a ticket URL good for a few minutes and this file only
   (Telegram's downloadFile fetches a bare URL, so the launch data cannot ride along). Inside
   Telegram, Telegram downloads it; in a browser, the URL is followed (the file is an
   attachment, so the page stays). */
function downloadButton(path, fileName, label, testid) {
  return el("button", { class: "button", "data-testid": testid, onclick: () => guarded(async () => {
    const ticket = await api(`/api/download?target=${encodeURIComponent(path)}`);
    const url = new URL(ticket.url, location.href).href;
    if (tg && typeof tg.downloadFile === "function" && tg.platform !== "unknown") {
      tg.downloadFile({ url, file_name: fileName });
    } else {
      el("a", { href: url, download: fileName }).click();
    }
  }), text: label });
}

function exportButton(survey) {
  const path = `/api/export/${encodeURIComponent(survey.id)}?period=${encodeURIComponent(state.period)}`;
  return downloadButton(path, `${survey.id}-${state.period}.csv`, S.export, "export");
}

function rows(items) {
  return el("table", { class: "rows" }, el("tbody", {}, items));
}

async function surveyView() {
  const survey = currentSurvey();
  const query = new URLSearchParams({ period: state.period });
  if (state.segment) query.set("segment", state.segment);
  const head = [
    el("h1", { text: survey.title }),
    el("div", { class: "controls" },
      surveyPicker((id) => go("survey", { survey: id, segment: null, period: "all" })),
      periodPicker(survey.anonymous, (p) => go("survey", { period: p })),
      exportButton(survey)),
  ];
  if (state.segment) {
    head.push(el("p", {}, el("span", { class: "chip", "data-testid": "filter", text: state.segment }), " ",
      el("button", { class: "button", "data-testid": "clear-filter", onclick: () => go("survey", { segment: null }), text: S.all_segments })));
  }
  const data = await api(`/api/survey/${encodeURIComponent(survey.id)}?${query}`);
  const body = [];
  if (survey.anonymous) body.push(el("p", { class: "muted", text: S.anonymous_note }));
  if (data.hidden) {
    body.push(el("p", { class: "muted", "data-testid": "hidden", text: S.hidden }));
  } else if (!data.headline) {
    body.push(el("p", { class: "muted", text: S.no_responses }));
  } else {
    body.push(el("div", { class: "headline" },
      el("span", { class: "big", "data-testid": "headline", text: data.headline.text }),
      el("span", { class: "muted", text: survey.score_name }),
      data.margin ? el("span", { class: "muted", "data-testid": "margin", text: S.margin.replace("{margin}", data.margin.text) }) : null),
      el("p", { class: "muted", "data-testid": "count", text: `${S.responses}: ${data.n_text}` }));
    const main = [];
    if (data.trend.length > 1) main.push(el("h2", { text: S.trend }), trendChart(data.trend, survey.score_name));
    main.push(el("h2", { text: S.breakdown }), rows(data.breakdown.map((row) =>
      el("tr", {}, el("td", { text: row.label }), el("td", { class: "num", "data-testid": "breakdown", text: row.text }),
        el("td", { style: "width:30%" }, row.value !== null ? el("div", { class: "bar", style: `width:${Math.round(100 * Math.max(0, Math.min(1, row.value)))}%` }) : null)))));
    const side = [];
    if (data.segments.length) {
      side.push(el("h2", { text: data.segments_title || S.segments }), rows(data.segments.map((seg, i) =>
        el("tr", { "data-testid": "segment" },
          el("td", { class: "num", text: `${i + 1}.` }),
          el("td", {}, el("button", { "data-segment": seg.name, onclick: () => go("survey", { segment: seg.name }), text: seg.name || "—" })),
          el("td", { class: "num", text: seg.figure ? seg.figure.text : S.hidden }),
          el("td", { class: "num muted", text: seg.figure ? `n=${seg.figure.n_text}` : "" })))));
    }
    if (data.comments.length) {
      side.push(el("h2", { text: S.comments }), ...data.comments.map((c) =>
        el("blockquote", { "data-testid": "comment" }, c.text, el("small", { text: [c.segment, c.when].filter(Boolean).join(" · ") }))));
    }
    body.push(el("div", { class: "layout" }, el("div", {}, main), el("div", {}, side)));
  }
  if (data.waves.length) body.push(el("h2", { text: S.waves }), wavesTable(data.waves));
  show(...head, ...body);
}

function wavesTable(waves) {
  return rows(waves.slice().reverse().map((w) =>
    el("tr", { "data-testid": "wave" },
      el("td", { text: `#${w.id} ${w.date}` }), el("td", { text: w.team }),
      el("td", { class: "num", text: w.rate ? `${w.rate.text}${w.delivered !== undefined ? ` (${w.finished}/${w.delivered})` : ""}` : "—" }),
      el("td", { class: "num", text: w.open ? S.open : w.figure ? w.figure.text : S.hidden }),
      el("td", { class: "num", text: w.change ? w.change.text : "" }))));
}

/* Compare: two or more segments over the chosen period, or two or more months or quarters
   (of one segment when exactly one is ticked, else of all). */
async function compareView() {
  const survey = currentSurvey();
  const all = await api(`/api/survey/${encodeURIComponent(survey.id)}?period=${encodeURIComponent(state.period)}`);
  const names = (all.segments || []).map((s) => s.name).filter(Boolean);
  const toggle = (set, value, label, attr) =>
    el("label", {}, el("input", { type: "checkbox", [attr]: value, checked: set.has(value),
      onchange: (event) => { event.target.checked ? set.add(value) : set.delete(value); go("compare"); } }), " " + label);
  const head = [
    el("h1", { text: S.compare }),
    el("div", { class: "controls" },
      surveyPicker((id) => go("compare", { survey: id, period: "all", compared: new Set(), comparedPeriods: new Set() })),
      periodPicker(survey.anonymous, (p) => go("compare", { period: p }))),
    el("div", { class: "controls" }, names.map((name) => toggle(state.compared, name, name, "data-compare"))),
    el("div", { class: "controls" }, calendarPeriods().map(([value, label]) => toggle(state.comparedPeriods, value, label, "data-compare-period"))),
  ];
  const segments = names.filter((n) => state.compared.has(n));
  const periods = calendarPeriods().map(([value]) => value).filter((p) => state.comparedPeriods.has(p));
  const query = new URLSearchParams({ period: state.period });
  if (periods.length >= 2) {
    query.set("periods", periods.join(","));
    if (segments.length === 1) query.set("segments", segments[0]);
  } else if (segments.length >= 2) {
    query.set("segments", segments.join(","));
  } else {
    show(...head, el("p", { class: "muted", text: S.pick_compare }));
    return;
  }
  const data = await api(`/api/compare/${encodeURIComponent(survey.id)}?${query}`);
  const columns = data.columns;
  const title = (c) => (periods.length >= 2 ? [c.period, c.segment].filter(Boolean).join(" · ") : c.segment);
  const labels = [];
  for (const column of columns) for (const row of column.breakdown || []) if (!labels.includes(row.label)) labels.push(row.label);
  const cell = (column, pick) => el("td", { class: "num" }, column.hidden ? S.hidden : pick(column));
  const table = el("table", { "data-testid": "compare" },
    el("thead", {}, el("tr", {}, el("th", {}), columns.map((c) => el("th", { class: "num", text: title(c) })))),
    el("tbody", {},
      el("tr", {}, el("th", { text: survey.score_name }), columns.map((c) =>
        el("td", { class: "num big", "data-testid": "compare-headline", text: c.hidden ? S.hidden : c.headline ? c.headline.text : "—" }))),
      el("tr", {}, el("th", { text: "±" }), columns.map((c) => cell(c, (x) => (x.margin ? x.margin.text : "")))),
      el("tr", {}, el("th", { text: S.responses }), columns.map((c) => cell(c, (x) => x.n_text))),
      labels.map((label) => el("tr", {}, el("th", { text: label }), columns.map((c) =>
        cell(c, (x) => ((x.breakdown || []).find((r) => r.label === label) || { text: "—" }).text))))));
  show(...head, el("div", { class: "compare" }, table));
}

function linkMaker(survey) {
  const segment = el("input", { placeholder: S.segment_optional, size: 16, "data-testid": "new-segment" });
  const result = el("div", { "data-testid": "new-link-result" });
  async function make() {
    const query = segment.value.trim() ? `?segment=${encodeURIComponent(segment.value.trim())}` : "";
    try {
      const made = await api(`/api/link/${encodeURIComponent(survey.id)}${query}`);
      const picture = await fetch(made.qr, { headers: { Authorization: "tma " + AUTH } });
      const image = el("img", { alt: made.link, width: 180, height: 180, "data-testid": "qr",
        src: URL.createObjectURL(await picture.blob()) });
      const name = ["qr", survey.id, segment.value.trim()].filter(Boolean).join("-") + ".png";
      result.replaceChildren(
        el("p", {}, el("a", { href: made.link, target: "_blank", rel: "noopener", "data-testid": "new-link", text: made.link })),
        image, el("p", {}, downloadButton(made.qr, name, S.download_qr, "download-qr")));
    } catch (error) {
      if (error instanceof Refused && error.status !== 401 && error.status !== 403) {
        result.replaceChildren(el("p", { class: "muted", "data-testid": "link-error", text: error.message }));
      } else throw error;
    }
  }
  return el("div", {}, el("div", { class: "controls" }, segment,
    el("button", { class: "button", "data-testid": "make-link", onclick: () => guarded(make), text: S.new_link })), result);
}

async function touchpoints() {
  const data = await api("/api/touchpoints");
  const blocks = data.surveys.map((s) => {
    const items = s.pulse
      ? (s.teams || []).map((t) => el("li", {}, `${t.name} · ${S.members}: ${t.members}`))
      : [s.link ? el("li", {}, el("a", { href: s.link, target: "_blank", rel: "noopener", text: s.link })) : null,
         ...(s.segments || []).map((seg) => el("li", { "data-testid": "touchpoint" }, seg.name || "—", seg.link ? " · " : "",
           seg.link ? el("a", { href: seg.link, target: "_blank", rel: "noopener", text: seg.link }) : null))];
    return el("section", { "data-touchpoints": s.id }, el("h2", { text: s.title }), el("ul", { class: "plain" }, items),
      linkMaker(s));
  });
  show(el("h1", { text: S.touchpoints }), ...blocks);
}

/* Asks before a wave goes out to a whole team: Telegram's own dialog inside Telegram. */
function confirmed(message) {
  if (tg && typeof tg.showConfirm === "function" && tg.platform !== "unknown") {
    return new Promise((resolve) => tg.showConfirm(message, resolve));
  }
  return Promise.resolve(window.confirm(message));
}

async function post(path) {
  const response = await fetch(path, { method: "POST", headers: { Authorization: "tma " + AUTH } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, body.error || "");
  return body;
}

function pulseControls(p) {
  const act = (action) => guarded(async () => {
    if (action === "now" && !(await confirmed(S.confirm_send.replace("{survey}", p.survey).replace("{team}", p.team)))) return;
    const done = await post(`/api/pulses/${p.id}/${action}`);
    await pulses();
    document.getElementById("view").prepend(el("p", { class: "chip", "data-testid": "notice", text: done.message }));
  });
  return el("td", { class: "num" },
    el("button", { class: "button", "data-action": p.paused ? "resume" : "pause", onclick: () => act(p.paused ? "resume" : "pause"), text: p.paused ? S.resume : S.pause }), " ",
    el("button", { class: "button", "data-action": "now", onclick: () => act("now"), text: S.send_now }));
}

async function pulses() {
  const data = await api("/api/pulses");
  const schedules = data.pulses.length
    ? rows(data.pulses.map((p) => el("tr", { "data-pulse": p.id }, el("td", { text: `${p.id}. ${p.survey} → ${p.team}` }),
        el("td", { text: `${p.cadence} ${p.time}` }),
        el("td", { class: "num", "data-testid": "pulse-state", text: p.paused ? S.paused : `${S.next_wave}: ${p.next} UTC` }),
        pulseControls(p))))
    : el("p", { class: "muted", text: S.no_pulses });
  show(el("h1", { text: S.pulses }), el("h2", { text: S.schedule }), schedules,
    el("h2", { text: S.teams }), rows(data.teams.map((t) => el("tr", {}, el("td", { text: t.name }), el("td", { class: "num", text: `${t.members}` })))),
    el("h2", { text: S.waves }), wavesTable(data.waves));
}

const VIEWS = { overview, survey: surveyView, compare: compareView, touchpoints, pulses };

async function start() {
  if (tg) { tg.ready(); tg.expand(); }
  await guarded(async () => {
    me = await api("/api/me");
    S = me.strings;
    document.documentElement.lang = me.language;
    document.title = S.title;
    go("overview");
  });
}

start();
