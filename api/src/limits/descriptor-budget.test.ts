import { describe, expect, it } from 'vitest';
import { descriptorWarning } from './descriptor-budget.js';

const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 1048576              files\n`;

describe('descriptor budget at start-up', () => {
  it('warns, with the fix, when max_connections does not fit under the open-file limit', () => {
    const warning = descriptorWarning(500, () => ({ limits: limits('1024'), open: 300 }));
    expect(warning).toMatch(/max_connections \(500\) does not fit in the open-file limit \(1024, 300 in use\)/);
    expect(warning).toMatch(/ulimit -n 1056/);
  });

  it('says nothing when the sessions fit, the limit is unlimited, or /proc is not there', () => {
    expect(descriptorWarning(500, () => ({ limits: limits('20000'), open: 300 }))).toBeNull();
    expect(descriptorWarning(500, () => ({ limits: limits('unlimited'), open: 300 }))).toBeNull();
    expect(descriptorWarning(500, () => null)).toBeNull();
  });
});
