import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { originPolicy } from './origin-policy.js';

describe('originPolicy', () => {
  it('by default allows only the same origin as the Host header, and clients without Origin', () => {
    const check = originPolicy(undefined, false);
    assert.equal(check('http://localhost:3000', 'localhost:3000'), true);
    assert.equal(check('https://APP.example.com', 'app.example.com'), true);
    assert.equal(check('https://evil.example', 'app.example.com'), false);
    assert.equal(check('http://localhost:3001', 'localhost:3000'), false);
    assert.equal(check('null', 'localhost:3000'), false);
    assert.equal(check(undefined, 'localhost:3000'), true);
  });

  it('with a list, allows exactly the listed origins, normalized', () => {
    const check = originPolicy(['https://app.example.com', 'http://localhost:8080/'], false);
    assert.equal(check('https://app.example.com', 'api.example.com'), true);
    assert.equal(check('https://app.example.com:443', 'x'), true);
    assert.equal(check('http://LOCALHOST:8080', 'x'), true);
    assert.equal(check('http://app.example.com', 'x'), false, 'another scheme is another origin');
    assert.equal(check('https://app.example.com.evil.example', 'x'), false);
  });

  it("allows any origin with '*' and defers to a function", () => {
    assert.equal(originPolicy(['*'], false)('https://anything.example', 'x'), true);
    const check = originPolicy((origin) => origin.endsWith('.example.com'), false);
    assert.equal(check('https://a.example.com', 'x'), true);
    assert.equal(check('https://example.org', 'x'), false);
  });

  it('refuses handshakes without Origin when requireOrigin is on', () => {
    assert.equal(originPolicy(['*'], true)(undefined, 'x'), false);
  });

  it('rejects a list entry that is not an origin, naming it', () => {
    assert.throws(
      () => originPolicy(['app.example.com'], false),
      /'app\.example\.com', which is not an origin/,
    );
  });
});
