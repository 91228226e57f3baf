// Writes the benchmark's request bodies and the fake OpenAI's canned answers (the exact wire
// format of POST /v1/embeddings, base64 embeddings as the official clients ask for them).
//   node make_bodies.js OUT_DIR DIMENSIONS BATCH_SIZE
'use strict';
const fs = require('fs');
const path = require('path');

const [out, dims = '1536', batch = '8'] = process.argv.slice(2);
const dimensions = Number(dims);
const batchSize = Number(batch);

const sentences = [
  'The quick brown fox jumps over the lazy dog.',
  'Invoice 2291: payment received, thank you.',
  'How do I reset my password on the mobile app?',
  'Quarterly revenue grew 12% on strong cloud demand.',
  'The meeting has been moved to Thursday at 3 pm.',
  'Please find the signed contract attached.',
  'Our return policy allows refunds within 30 days.',
  'Heavy rain is expected across the region tonight.',
];

// A deterministic unit vector, packed as little-endian float32 and base64-encoded.
function embedding(seed) {
  const values = new Float32Array(dimensions);
  let state = seed * 2654435761 >>> 0;
  let norm = 0;
  for (let i = 0; i < dimensions; ++i) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    values[i] = state / 4294967296 - 0.5;
    norm += values[i] * values[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimensions; ++i) values[i] /= norm;
  return Buffer.from(values.buffer).toString('base64');
}

// One token per ~4 bytes of English, as cl100k_base roughly counts it.
const tokens = (text) => Math.max(1, Math.round(Buffer.byteLength(text) / 4));

function write(name, model, inputs) {
  const request = { model, input: inputs.length === 1 ? inputs[0] : inputs, encoding_format: 'base64' };
  const used = inputs.reduce((sum, text) => sum + tokens(text), 0);
  const answer = {
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: embedding(index + 1) })),
    model,
    usage: { prompt_tokens: used, total_tokens: used },
  };
  fs.writeFileSync(path.join(out, `${name}-request.json`), JSON.stringify(request));
  fs.writeFileSync(path.join(out, `${name}-answer.json`), JSON.stringify(answer));
}

// GET /v1/models, which the host's health probe calls.
const models = ['text-embedding-3-small', 'text-embedding-ada-002'].map((id) => ({
  id, object: 'model', created: 1705953180, owned_by: 'system',
}));
fs.writeFileSync(path.join(out, 'models.json'), JSON.stringify({ object: 'list', data: models }));

const batchInputs = Array.from({ length: batchSize }, (_, i) => sentences[i % sentences.length]);
write('single', 'text-embedding-3-small', [sentences[0]]);
write('batch', 'text-embedding-ada-002', batchInputs);
