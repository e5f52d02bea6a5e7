import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushRing } from './push-ring.js';

const contents = (ring: PushRing) => Array.from({ length: ring.length }, (_, i) => ring.get(i));

describe('PushRing', () => {
  it('keeps the newest `size` pushes, oldest first, and says how many went', () => {
    const ring = new PushRing();
    const dropped = ['a', 'b', 'c', 'd', 'e'].map((data, i) => ring.push(data, '', i, 3));
    assert.deepEqual(dropped, [0, 0, 0, 1, 1]);
    assert.deepEqual(contents(ring), ['c', 'd', 'e']);
    assert.equal(ring.oldestAt, 2);
  });

  it('drops the oldest, by count or by time, and grows again after emptying', () => {
    const ring = new PushRing();
    for (let i = 0; i < 5; i++) ring.push(`p${i}`, '', i * 10, 4);
    assert.deepEqual(contents(ring), ['p1', 'p2', 'p3', 'p4']);
    assert.equal(ring.dropStoredBy(5), 0, 'nothing kept is that old');
    assert.equal(ring.dropStoredBy(25), 2);
    assert.deepEqual(contents(ring), ['p3', 'p4']);
    ring.push('p5', '', 50, 4);
    ring.push('p6', '', 60, 4);
    ring.push('p7', '', 70, 4);
    assert.deepEqual(contents(ring), ['p4', 'p5', 'p6', 'p7']);
    ring.drop(4);
    assert.equal(ring.length, 0);
    assert.equal(ring.oldestAt, undefined);
    assert.equal(ring.dropStoredBy(1000), 0);
    ring.push('q', '', 80, 4);
    assert.deepEqual(contents(ring), ['q']);
    assert.equal(ring.dropStoredBy(79), 0);
    assert.equal(ring.dropStoredBy(80), 1);
  });

  it('follows a change of size, keeping the newest', () => {
    const ring = new PushRing();
    for (let i = 0; i < 6; i++) ring.push(`p${i}`, '', i, 4);
    assert.equal(ring.push('p6', '', 6, 2), 3);
    assert.deepEqual(contents(ring), ['p5', 'p6']);
    for (let i = 7; i < 10; i++) ring.push(`p${i}`, '', i, 5);
    assert.deepEqual(contents(ring), ['p5', 'p6', 'p7', 'p8', 'p9']);
  });

  it('keeps text that is not ASCII as it was given', () => {
    const ring = new PushRing();
    const texts = ['{"data":"é"}', '{"data":"日本語"}', '{"data":"🙂"}', 'x'.repeat(2000)];
    for (const [i, text] of texts.entries()) ring.push(text, ',"offset":1}', i, 10);
    assert.deepEqual(contents(ring), texts);
  });

  it('hands out each push with its suffix, and never writes over bytes it handed out', () => {
    const ring = new PushRing();
    const views: [Buffer, string][] = [];
    for (let i = 0; i < 500; i++) {
      const data = `{"data":"${'é'.repeat(i % 37)}${i}"`;
      const suffix = `,"offset":${i + 1}}`;
      ring.push(data, suffix, i, 7);
      const frame = ring.newest();
      assert.equal(frame.toString(), data + suffix);
      views.push([frame, data + suffix]);
    }
    for (const [frame, text] of views) assert.equal(frame.toString(), text);
  });

  it('agrees with a plain array under random pushes of random lengths, drops and sizes', () => {
    const ring = new PushRing();
    const model: string[] = [];
    const frames: [Buffer, string][] = [];
    const pieces = ['a', 'é', '日', '🙂', '{"offset":1}'];
    const text = (step: number) => {
      let out = `s${step}`;
      const length = Math.floor(Math.random() * Math.random() * 300);
      for (let i = 0; i < length; i++) out += pieces[Math.floor(Math.random() * pieces.length)];
      return out;
    };
    let size = 5;
    for (let step = 0; step < 5000; step++) {
      const roll = Math.random();
      if (roll < 0.05) size = 1 + Math.floor(Math.random() * 8);
      if (roll < 0.2 && model.length > 0) {
        const n = 1 + Math.floor(Math.random() * model.length);
        ring.drop(n);
        model.splice(0, n);
      } else {
        const pushed = text(step);
        const suffix = step % 3 === 0 ? '' : `,"offset":${step}}`;
        model.push(pushed);
        const expected = Math.max(0, model.length - size);
        model.splice(0, expected);
        assert.equal(ring.push(pushed, suffix, step, size), expected);
        frames.push([ring.newest(), pushed + suffix]);
      }
      assert.deepEqual(contents(ring), model);
    }
    for (const [frame, expected] of frames) assert.equal(frame.toString(), expected);
  });
});
