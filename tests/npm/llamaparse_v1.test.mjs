// The v1 LlamaParse client (`llama-cloud-services`, LlamaParseReader) against `switchboard serve`
// with the mock parser: upload a PDF, poll, fetch markdown, text and JSON; its errors for a wrong
// key, an empty file and a failed job. Only the base URL changes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { samplePdf } from './sample_pdf.mjs';
import { failingParserSettings, parseServiceConfig, requireClient, stopCleanly, SwitchboardHost } from './switchboard_host.mjs';

const { LlamaParseReader } = requireClient('llama-cloud-services');

const key = 'llx-switchboard-npm-TESTKEY-4d2b8e61a9c3f075';
const wrongKey = 'llx-switchboard-npm-WRONGKEY-00000000000000';
const scratch = mkdtempSync(path.join(tmpdir(), 'switchboard-npm-v1-'));
const pdfPath = path.join(scratch, 'sample.pdf');
writeFileSync(pdfPath, samplePdf(['Alpha page', 'Beta page']));

const parserConfig = (settings = '') => parseServiceConfig(key, settings);

// The reader as a user sets it up, polling as fast as it allows (it has no lower bound).
function reader(host, options = {}) {
  return new LlamaParseReader({
    apiKey: key,
    baseUrl: host.url,
    checkInterval: 0.05,
    backoffPattern: 'constant',
    verbose: false,
    ignoreErrors: false,  // the default swallows errors and returns []
    ...options,
  });
}

after(() => rmSync(scratch, { recursive: true, force: true }));

describe('a working parser', () => {
  let host;
  before(async () => { host = await SwitchboardHost.start(parserConfig('')); });
  after(async () => stopCleanly(host, key));

  test('markdown: upload, poll, and one Document per page', async () => {
    const docs = await reader(host, { resultType: 'markdown' }).loadData(pdfPath);
    assert.equal(docs.length, 2, `pages are joined with the default separator "\\n---\\n": ${JSON.stringify(docs.map((d) => d.text))}`);
    assert.match(docs[0].text, /sample\.pdf, page 1 of 2/);
    assert.match(docs[1].text, /sample\.pdf, page 2 of 2/);
  });

  test('text: upload, poll, and one Document per page', async () => {
    const docs = await reader(host, { resultType: 'text' }).loadData(pdfPath);
    assert.equal(docs.length, 2, JSON.stringify(docs.map((d) => d.text)));
    assert.match(docs[0].text, /sample\.pdf, page 1 of 2/);
    assert.match(docs[1].text, /sample\.pdf, page 2 of 2/);
  });

  test('bytes without a path parse the same way', async () => {
    const docs = await reader(host, { resultType: 'markdown' })
      .loadDataAsContent(samplePdf(['Only page']), 'single.pdf');
    assert.equal(docs.length, 1);
    assert.match(docs[0].text, /single\.pdf/, 'the file name the client gave reaches the parser');
  });

  test('json: pages with their numbers, markdown and text', async () => {
    const [result] = await reader(host).loadJson(pdfPath);
    assert.match(result.job_id, /\S/);
    assert.deepEqual(result.pages.map((page) => page.page), [1, 2]);
    assert.match(result.pages[0].md, /page 1 of 2/);
    assert.match(result.pages[1].text, /page 2 of 2/);
    assert.equal(typeof result.job_metadata, 'object');
  });

  test('a wrong key is rejected at upload with a FastAPI-style detail, not echoing the key', async () => {
    // This client has no error class: it rejects with the parsed JSON body of the answer.
    const error = await reader(host, { apiKey: wrongKey }).loadData(pdfPath).then(
      () => assert.fail('a wrong key must not parse'), (e) => e);
    assert.equal(typeof error.detail, 'string', `the body the client threw: ${JSON.stringify(error)}`);
    assert.ok(!error.detail.includes(wrongKey));
  });

  test('an empty file is rejected at upload with a detail saying so', async () => {
    const error = await reader(host).loadDataAsContent(new Uint8Array(0), 'empty.pdf').then(
      () => assert.fail('an empty file must not parse'), (e) => e);
    assert.equal(typeof error.detail, 'string', `the body the client threw: ${JSON.stringify(error)}`);
    assert.match(error.detail, /empty/i);
  });
});

describe('a parser that fails every call', () => {
  let host;
  before(async () => {
    host = await SwitchboardHost.start(parserConfig(failingParserSettings));
  });
  after(async () => stopCleanly(host, key));

  test('the job ends in ERROR and the client says so', async () => {
    await assert.rejects(reader(host, { resultType: 'markdown' }).loadData(pdfPath),
                         /Failed to parse the file: .+, status: ERROR/);
  });
});
