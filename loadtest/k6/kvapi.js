// The kvapi traffic mix for k6, the same mix and thresholds as ../locustfile.py.
//
//   k6 run -e PROFILE=smoke   -e BASE_URL=http://127.0.0.1:8000 loadtest/k6/kvapi.js
//   k6 run -e PROFILE=summary -e BASE_URL=https://kvapi.example.com -e KVAPI_LOAD_TOKEN=... \
//          loadtest/k6/kvapi.js
//
// Each profile has two scenarios that run one after the other: `users` (closed model: a
// number of concurrent users) and `throughput` (open model, constant-arrival-rate: k6 starts
// requests at a fixed rate whatever the latency; a dropped iteration means the service could
// not keep up). The summary's profile ramps to 200 users in 100 s, holds 15 minutes, then
// demands 1000 req/s for 2 minutes. The summary JSON goes to RESULTS_DIR (default results/load).
import http from 'k6/http';
import { check, sleep } from 'k6';

const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const TOKEN = __ENV.KVAPI_LOAD_TOKEN || '';
const PROFILE = __ENV.PROFILE || 'smoke';
const RESULTS_DIR = __ENV.RESULTS_DIR || 'results/load';
const KEY_PREFIX = 'load-';
const MAX_OWN_KEYS = 200;

const PROFILES = {
  smoke: { users: 20, ramp: '10s', hold: '30s', userRps: 5, rate: 100, rateFor: '20s' },
  summary: { users: 200, ramp: '100s', hold: '15m', userRps: 6, rate: 1000, rateFor: '2m' },
};
const profile = PROFILES[PROFILE];
if (!profile) {
  throw new Error(`unknown PROFILE ${PROFILE}; one of ${Object.keys(PROFILES).join(', ')}`);
}

function seconds(duration) {
  const match = /^(\d+)(s|m)$/.exec(duration);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

const usersSeconds = seconds(profile.ramp) + seconds(profile.hold);
const droppedAllowed = Math.floor(profile.rate * seconds(profile.rateFor) * 0.01);

export const options = {
  scenarios: {
    users: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: profile.ramp, target: profile.users },
        { duration: profile.hold, target: profile.users },
      ],
      gracefulRampDown: '10s',
      exec: 'paced',
    },
    throughput: {
      executor: 'constant-arrival-rate',
      rate: profile.rate,
      timeUnit: '1s',
      duration: profile.rateFor,
      preAllocatedVUs: profile.users,
      maxVUs: profile.users * 5,
      startTime: `${usersSeconds + 10}s`,
      exec: 'mixed',
    },
  },
  thresholds: {
    http_req_duration: ['p(95)<500', 'p(99)<1000'],
    http_req_failed: ['rate<0.01'],
    // Throughput: at most 1 % of the arrival-rate iterations may be dropped.
    dropped_iterations: [`count<=${droppedAllowed}`],
    'http_req_duration{scenario:throughput}': ['p(95)<500', 'p(99)<1000'],
    'http_req_failed{scenario:throughput}': ['rate<0.01'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const writeParams = (name) => ({
  headers: Object.assign(
    { 'Content-Type': 'application/json' },
    TOKEN ? { Authorization: `Bearer ${TOKEN}` } : {},
  ),
  tags: { name },
});

// Per VU: the keys this VU wrote, read back and deleted later (each VU has its own copy).
const ownKeys = [];

function newKey() {
  return `${KEY_PREFIX}${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 10)}`;
}

function remember(key) {
  ownKeys.push(key);
  if (ownKeys.length > MAX_OWN_KEYS) ownKeys.shift();
}

function readRoot() {
  check(http.get(`${BASE_URL}/`, { tags: { name: '/' } }), { 'GET / 200': (r) => r.status === 200 });
}

function putKey() {
  const key = newKey();
  const r = http.put(`${BASE_URL}/v1/keys/${key}`, JSON.stringify({ value: 'v'.repeat(32) }),
    writeParams('/v1/keys/{key} PUT'));
  if (check(r, { 'PUT new key 201': (res) => res.status === 201 })) remember(key);
}

function readKey() {
  if (ownKeys.length === 0) return putKey();
  const key = ownKeys[Math.floor(Math.random() * ownKeys.length)];
  const r = http.get(`${BASE_URL}/v1/keys/${key}`, { tags: { name: '/v1/keys/{key}' } });
  check(r, { 'GET own key 200': (res) => res.status === 200 });
}

function legacyWrite() {
  const key = newKey();
  const r = http.post(`${BASE_URL}/write/${key}?value=${'v'.repeat(32)}`, null,
    writeParams('/write/{key}'));
  if (check(r, { 'POST /write 200': (res) => res.status === 200 })) remember(key);
}

function listKeys() {
  const r = http.get(`${BASE_URL}/v1/keys?prefix=${KEY_PREFIX}&limit=50`, { tags: { name: '/v1/keys' } });
  check(r, { 'list 200': (res) => res.status === 200 });
}

function deleteKey() {
  if (ownKeys.length === 0) return readRoot();
  const r = http.del(`${BASE_URL}/v1/keys/${ownKeys.pop()}`, null, writeParams('/v1/keys/{key} DELETE'));
  check(r, { 'DELETE own key 204': (res) => res.status === 204 });
}

function health() {
  check(http.get(`${BASE_URL}/healthz`, { tags: { name: '/healthz' } }), { 'healthz 200': (r) => r.status === 200 });
}

// Weights per 100 requests, as in locustfile.py.
const MIX = [
  [30, readRoot], [30, readKey], [20, putKey], [10, legacyWrite], [3, listKeys], [2, deleteKey], [5, health],
];
const TOTAL_WEIGHT = MIX.reduce((sum, [weight]) => sum + weight, 0);

function pick() {
  let roll = Math.random() * TOTAL_WEIGHT;
  for (const [weight, request] of MIX) {
    roll -= weight;
    if (roll < 0) return request;
  }
  return MIX[0][1];
}

export function setup() {
  // GET / reads example_key: make sure it exists, as the original app's users did.
  const r = http.post(`${BASE_URL}/write/example_key?value=hello`, null, writeParams('setup'));
  if (r.status !== 200) throw new Error(`cannot seed example_key: HTTP ${r.status}`);
}

export function mixed() {
  pick()();
}

export function paced() {
  pick()();
  sleep(1 / profile.userRps);
}

export function handleSummary(data) {
  const failed = Object.entries(data.metrics)
    .flatMap(([name, metric]) => Object.entries(metric.thresholds || {})
      .filter(([, result]) => !result.ok)
      .map(([expression]) => `${name}: ${expression}`));
  const line = `kvapi k6 ${PROFILE}: ${failed.length ? `FAILED ${failed.join('; ')}` : 'all thresholds passed'}\n`;
  return {
    [`${RESULTS_DIR}/k6-${PROFILE}.json`]: JSON.stringify(data, null, 2),
    stdout: line,
  };
}
