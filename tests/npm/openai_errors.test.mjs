// The `openai` client's own error classes, raised by what `switchboard serve` answers: 400 for
// bad requests, 401 for a wrong client key, 429 when the backend is rate limited. The host keeps
// serving after each, and never writes the key anywhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { rejection, requireClient, sha256Hex, stopCleanly, SwitchboardHost } from './switchboard_host.mjs';

const { OpenAI, BadRequestError, AuthenticationError, RateLimitError } = requireClient('openai');

const key = 'sk-switchboard-npm-TESTKEY-7f3a9c2e51d04b68';
const wrongKey = 'sk-switchboard-npm-WRONGKEY-000000000000000';
const model = 'text-embedding-3-small';
let host;
let client;

before(async () => {
  host = await SwitchboardHost.start(`
[server.clients.npm-tests]
key_sha256 = "${sha256Hex(key)}"

[server.models]
"limited-model" = "limited"

[backends.mock-embed]
plugin = "mock-embeddings"

# Every call is rate limited, as an upstream over its limit would be.
[backends.mock-limited]
plugin = "mock-embeddings"
[backends.mock-limited.settings]
failure_rate = 1.0
failure_kind = "rate_limited"
retry_after_ms = 20000

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"

[services.limited]
capability = "embeddings"
mock = "mock-limited"
`);
  client = new OpenAI({ apiKey: key, baseURL: `${host.url}/v1`, maxRetries: 0 });
});

after(async () => stopCleanly(host, key, wrongKey));

async function assertStillServing() {
  const ok = await client.embeddings.create({ model, input: 'still serving' });
  assert.equal(ok.data[0].embedding.length, 1536);
}

test('more than 2048 inputs is a BadRequestError naming the limit', async () => {
  const error = await rejection(
    client.embeddings.create({ model, input: Array.from({ length: 2049 }, (_, i) => `input ${i}`) }),
    BadRequestError);
  assert.equal(error.status, 400);
  assert.equal(error.type, 'invalid_request_error');
  assert.equal(error.param, 'input');
  assert.match(error.message, /2048/);
  assert.match(error.requestID, /\S/, 'the error carries the request id');

  const atLimit = await client.embeddings.create({
    model, input: Array.from({ length: 2048 }, (_, i) => `in ${i}`), dimensions: 8 });
  assert.equal(atLimit.data.length, 2048, 'exactly 2048 inputs is allowed');
});

test('empty input is a BadRequestError on input', async () => {
  for (const input of ['', [], ['fine', '']]) {
    const error = await rejection(client.embeddings.create({ model, input }), BadRequestError);
    assert.equal(error.status, 400, JSON.stringify(input));
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'input', JSON.stringify(input));
  }
  await assertStillServing();
});

test('fields of the wrong type are BadRequestErrors naming the field', async () => {
  const cases = [
    [{ model, input: 42 }, 'input'],
    [{ model, input: [{ text: 'an object' }] }, 'input'],
    [{ model, input: 'x', dimensions: 'many' }, 'dimensions'],
    [{ model, input: 'x', dimensions: 0 }, 'dimensions'],
    [{ model, input: 'x', encoding_format: 'hex' }, 'encoding_format'],
    [{ model: 17, input: 'x' }, 'model'],
  ];
  for (const [body, field] of cases) {
    const error = await rejection(client.embeddings.create(body), BadRequestError);
    assert.equal(error.status, 400, JSON.stringify(body));
    assert.equal(error.type, 'invalid_request_error', JSON.stringify(body));
    assert.ok(error.param === field || error.message.includes(field),
              `${JSON.stringify(body)}: the error names '${field}': ${error.message}`);
  }
  await assertStillServing();
});

test('a wrong key is an AuthenticationError that does not echo the key', async () => {
  const stranger = new OpenAI({ apiKey: wrongKey, baseURL: `${host.url}/v1`, maxRetries: 0 });
  const error = await rejection(stranger.embeddings.create({ model, input: 'hello' }), AuthenticationError);
  assert.equal(error.status, 401);
  assert.equal(error.code, 'invalid_api_key');
  assert.ok(!error.message.includes(wrongKey), `the message must not echo the key: ${error.message}`);
  await assertStillServing();
});

test('a rate-limited backend is a RateLimitError', async () => {
  const error = await rejection(client.embeddings.create({ model: 'limited-model', input: 'hello' }),
                              RateLimitError);
  assert.equal(error.status, 429);
  assert.equal(error.code, 'rate_limit_exceeded');
  assert.equal(error.type, 'requests');
  assert.match(error.message, /\S/);
  await assertStillServing();
});
