// The official `openai` npm client against `switchboard serve` in mock mode: only the base URL
// changes. Embeddings with the client's default (base64, which it decodes), float, `dimensions`
// and a batch.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { requireClient, stopCleanly, SwitchboardHost } from './switchboard_host.mjs';

const { OpenAI } = requireClient('openai');

const model = 'text-embedding-3-small';
let host;
let client;
const sent = [];      // JSON bodies the client sent, in order
const received = [];  // JSON bodies the host answered, in order

before(async () => {
  host = await SwitchboardHost.start(`
[backends.mock-embed]
plugin = "mock-embeddings"
[backends.mock-embed.settings]
dimensions = 1536
seed = 7

[services.embeddings]
capability = "embeddings"
mock = "mock-embed"
`);
  client = new OpenAI({
    apiKey: 'sk-unused-the-host-has-no-client-keys',
    baseURL: `${host.url}/v1`,
    maxRetries: 0,
    // Records the wire, to tell what the client sent from what it decoded.
    fetch: async (url, init) => {
      sent.push(JSON.parse(init.body));
      const response = await fetch(url, init);
      received.push(await response.clone().json());
      return response;
    },
  });
});

after(async () => stopCleanly(host));

function norm(vector) {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

function assertUnitVector(vector, length) {
  assert.equal(vector.length, length);
  assert.ok(vector.every(Number.isFinite), 'every component is a finite number');
  assert.ok(Math.abs(norm(vector) - 1) < 1e-5, `unit norm expected, got ${norm(vector)}`);
}

test('the default request is base64 on the wire and the client decodes it to 1536 floats', async () => {
  const { data: answer, response } = await client.embeddings
    .create({ model, input: 'The quick brown fox jumps over the lazy dog' })
    .withResponse();

  assert.equal(sent.at(-1).encoding_format, 'base64', 'the client asks for base64 when the caller does not say');
  const raw = received.at(-1).data[0].embedding;
  assert.equal(typeof raw, 'string', 'the host answered a base64 string');
  assert.equal(Buffer.from(raw, 'base64').length, 1536 * 4, 'packed float32');

  assert.equal(answer.object, 'list');
  assert.equal(answer.model, model);
  assert.equal(answer.data.length, 1);
  assert.equal(answer.data[0].object, 'embedding');
  assert.equal(answer.data[0].index, 0);
  assertUnitVector(answer.data[0].embedding, 1536);
  assert.ok(answer.usage.prompt_tokens > 0);
  assert.equal(answer.usage.total_tokens, answer.usage.prompt_tokens);

  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-switchboard-backend'), 'mock-embed');
  assert.match(response.headers.get('x-request-id'), /\S/);
});

test('float and base64 give the same vector for the same input', async () => {
  const input = 'Switchboard routes embeddings';
  const decoded = (await client.embeddings.create({ model, input })).data[0].embedding;
  const floats = (await client.embeddings.create({ model, input, encoding_format: 'float' })).data[0].embedding;

  assert.equal(sent.at(-1).encoding_format, 'float');
  assert.ok(Array.isArray(received.at(-1).data[0].embedding), 'float answers carry a JSON array');
  assertUnitVector(floats, 1536);
  assert.equal(floats.length, decoded.length);
  for (let i = 0; i < floats.length; ++i) {
    // base64 carries the float32 exactly; the JSON number must round to the same float32.
    assert.equal(Math.fround(floats[i]), decoded[i], `component ${i}: ${floats[i]} vs ${decoded[i]}`);
  }
});

test('dimensions shortens the vector and keeps it unit length, in both encodings', async () => {
  const input = 'a shorter vector, please';
  const small = await client.embeddings.create({ model, input, dimensions: 256 });
  assert.equal(sent.at(-1).dimensions, 256);
  assertUnitVector(small.data[0].embedding, 256);

  const smallFloats = await client.embeddings.create({ model, input, dimensions: 256, encoding_format: 'float' });
  assertUnitVector(smallFloats.data[0].embedding, 256);
  smallFloats.data[0].embedding.forEach((x, i) => assert.equal(Math.fround(x), small.data[0].embedding[i]));

  const full = await client.embeddings.create({ model, input });
  assertUnitVector(full.data[0].embedding, 1536);
});

test('a batch answers every input in order, each as the single-input call would', async () => {
  const inputs = ['first input', 'second input', 'third, a little longer input', 'first input', 'last'];
  const batch = await client.embeddings.create({ model, input: inputs });

  assert.equal(batch.data.length, inputs.length);
  batch.data.forEach((item, i) => {
    assert.equal(item.index, i);
    assert.equal(item.object, 'embedding');
    assertUnitVector(item.embedding, 1536);
  });
  assert.deepEqual(batch.data[3].embedding, batch.data[0].embedding, 'the same text twice gives the same vector');
  assert.notDeepEqual(batch.data[1].embedding, batch.data[0].embedding, 'different texts give different vectors');

  let tokens = 0;
  for (const [i, input] of inputs.entries()) {
    const single = await client.embeddings.create({ model, input });
    assert.deepEqual(batch.data[i].embedding, single.data[0].embedding, `input ${i} keeps its place in the batch`);
    tokens += single.usage.prompt_tokens;
  }
  assert.equal(batch.usage.prompt_tokens, tokens, 'the batch bills the sum of its inputs');
  assert.equal(batch.usage.total_tokens, tokens);
});

test('the caller\'s x-request-id comes back', async () => {
  const { response } = await client.embeddings
    .create({ model, input: 'tagged' }, { headers: { 'x-request-id': 'npm-test-request-1' } })
    .withResponse();
  assert.equal(response.headers.get('x-request-id'), 'npm-test-request-1');
});
