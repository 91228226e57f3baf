// The v2 LlamaParse client (`@llamaindex/llama-cloud`, LlamaCloud.parsing) against
// `switchboard serve` with the mock parser: upload a PDF, poll, read markdown and text pages;
// its error classes for 400 and 401 and its PollingError for a failed job. Only the base URL
// changes.
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { samplePdf } from './sample_pdf.mjs';
import { failingParserSettings, parseServiceConfig, rejection, requireClient, stopCleanly, SwitchboardHost } from './switchboard_host.mjs';

const { LlamaCloud, AuthenticationError, BadRequestError } = requireClient('@llamaindex/llama-cloud');
const { PollingError } = requireClient('@llamaindex/llama-cloud/core/polling');

const key = 'llx-switchboard-npm-TESTKEY-91c7e3a05f2d6b84';
const wrongKey = 'llx-switchboard-npm-WRONGKEY-11111111111111';
const scratch = mkdtempSync(path.join(tmpdir(), 'switchboard-npm-v2-'));
const pdfPath = path.join(scratch, 'sample.pdf');
writeFileSync(pdfPath, samplePdf(['Alpha page', 'Beta page']));

const parserConfig = (settings = '') => parseServiceConfig(key, settings);

// Polls as fast as the client allows (it has no lower bound); no retries, so errors show at once.
const polling = { pollingInterval: 0.05, backoff: 'constant', timeout: 30 };

function client(host, apiKey = key) {
  return new LlamaCloud({ apiKey, baseURL: host.url, maxRetries: 0 });
}

function assertPages(pages, field) {
  assert.deepEqual(pages.map((page) => page.page_number), [1, 2], JSON.stringify(pages));
  pages.forEach((page, i) => assert.match(page[field], new RegExp(`sample\\.pdf, page ${i + 1} of 2`)));
}

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('a working parser', () => {
  let host;
  before(async () => { host = await SwitchboardHost.start(parserConfig('')); });
  after(async () => stopCleanly(host, key));

  test('parse(): upload, poll, markdown and text pages in one call', async () => {
    const result = await client(host).parsing.parse(
      { tier: 'fast', version: 'latest', upload_file: createReadStream(pdfPath), expand: ['markdown', 'text'] },
      polling);
    assert.equal(result.job.status, 'COMPLETED');
    assert.match(result.job.id, /\S/);
    assertPages(result.markdown.pages, 'markdown');
    result.markdown.pages.forEach((page) => assert.equal(page.success, true));
    assertPages(result.text.pages, 'text');
  });

  test('create() then waitForCompletion(): the job keeps its id, and only what was expanded comes back', async () => {
    const llama = client(host);
    const created = await llama.parsing.create({ tier: 'cost_effective', version: 'latest', upload_file: createReadStream(pdfPath) });
    assert.match(created.id, /\S/);

    const markdownOnly = await llama.parsing.waitForCompletion(created.id, { expand: ['markdown'] }, polling);
    assert.equal(markdownOnly.job.id, created.id);
    assert.equal(markdownOnly.job.status, 'COMPLETED');
    assertPages(markdownOnly.markdown.pages, 'markdown');
    assert.equal(markdownOnly.text ?? null, null, 'text was not asked for');

    const textOnly = await llama.parsing.get(created.id, { expand: ['text'] });
    assertPages(textOnly.text.pages, 'text');
    assert.equal(textOnly.markdown ?? null, null, 'markdown was not asked for');
  });

  test('a wrong key is an AuthenticationError that does not echo the key', async () => {
    const error = await rejection(
      client(host, wrongKey).parsing.create({ tier: 'fast', version: 'latest', upload_file: createReadStream(pdfPath) }),
      AuthenticationError);
    assert.equal(error.status, 401);
    assert.ok(!error.message.includes(wrongKey), error.message);
  });

  test('an unknown tier is a BadRequestError naming it', async () => {
    const error = await rejection(
      client(host).parsing.create({ tier: 'ultra', version: 'latest', upload_file: createReadStream(pdfPath) }),
      BadRequestError);
    assert.equal(error.status, 400);
    assert.match(error.message, /tier/);
  });

  test('an empty file is a BadRequestError saying so', async () => {
    const empty = path.join(scratch, 'empty.pdf');
    writeFileSync(empty, '');
    const error = await rejection(
      client(host).parsing.create({ tier: 'fast', version: 'latest', upload_file: createReadStream(empty) }),
      BadRequestError);
    assert.equal(error.status, 400);
    assert.match(error.message, /empty/i);
  });
});

describe('a parser that fails every call', () => {
  let host;
  before(async () => {
    host = await SwitchboardHost.start(parserConfig(failingParserSettings));
  });
  after(async () => stopCleanly(host, key));

  test('the job ends FAILED and the client raises PollingError with the reason', async () => {
    const error = await rejection(
      client(host).parsing.parse(
        { tier: 'fast', version: 'latest', upload_file: createReadStream(pdfPath), expand: ['markdown'] }, polling),
      PollingError);
    assert.match(error.message, /failed with status: FAILED \| Error: \S/);
  });
});
