import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FakeLlm } from './fake-llm.ts';
import { startFakeLlm, typedText } from './fake-llm.ts';

let llm: FakeLlm;
before(async () => {
  llm = await startFakeLlm({ requiredApiKey: 'right-key', delayMs: 0 });
});
after(() => llm.close());

const chat = (key: string | undefined, content: string, stream = true) =>
  fetch(`${llm.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model: 'echo-1', stream, messages: [{ role: 'user', content }] }),
  });

test('OpenClaw wrappers are removed from the typed text', () => {
  const wrapped =
    '[Sun 2026-11-29 14:52 UTC] hello there\n\nRuntime: agent=main | session=agent:main:main' +
    '<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nstuff<<<END_OPENCLAW_INTERNAL_CONTEXT>>>';
  assert.equal(typedText(wrapped), 'hello there');
});

test('streams ECHO of the typed text, one word per chunk, then [DONE]', async () => {
  const res = await chat('right-key', 'one two three');
  assert.equal(res.status, 200);
  const data = (await res.text())
    .split('\n\n')
    .filter(Boolean)
    .map((event) => event.slice('data: '.length));
  assert.equal(data.at(-1), '[DONE]');
  const words = data
    .slice(0, -1)
    .map(
      (chunk) =>
        (JSON.parse(chunk) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content,
    )
    .filter((content) => content);
  assert.deepEqual(words, ['ECHO: ', 'one ', 'two ', 'three']);
});

test('a required key: a missing or wrong key gets 401 and is recorded as such', async () => {
  assert.equal((await chat(undefined, 'x')).status, 401);
  assert.equal((await chat('wrong-key', 'x')).status, 401);
  const auths = llm.requests().map((request) => request.auth);
  assert.deepEqual(auths.slice(-2), ['missing', 'rejected']);
});

test('[[fail400]] fails fast with 400', async () => {
  assert.equal((await chat('right-key', 'boom [[fail400]]', false)).status, 400);
});
