// The wire's one declaration is bindings/shared/views.h; js/src/wire.ts spells the same
// fields, and every reader goes by their names. This fails if the two sides disagree (a field
// added on one side only would otherwise shift every number after it, silently).
import { describe, expect, it } from 'vitest';

import { COMPLETE, DISPATCH, EVENT, WIRE } from '../../dist/cjs/wire.js';
import { wires } from './core-names.js';

describe('the wire layout', () => {
  it.each(wires)('is the same in the TS layer and in the %s core', (_backend, wire) => {
    expect(wire).toEqual(WIRE);
  });

  it('gives each field its offset and each record its size', () => {
    expect(DISPATCH.worker).toBe(WIRE.dispatch.indexOf('worker'));
    expect(EVENT.SIZE).toBe(WIRE.event.length);
    expect(COMPLETE.accepted).toBe(WIRE.complete.length - 1);
  });
});
