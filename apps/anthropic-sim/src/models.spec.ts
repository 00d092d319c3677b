import { createModelCatalog } from './models.ts';

describe('model catalog', () => {
  it('serves every model the SDK names, newest first, plus configured extras', () => {
    const catalog = createModelCatalog(['my-finetune']);
    for (const id of [
      'claude-opus-4-6',
      'claude-sonnet-4-5',
      'claude-haiku-4-5-20251001',
      'claude-mythos-preview',
    ]) {
      expect(catalog.find(id)?.id).toBe(id);
    }
    expect(catalog.find('my-finetune')?.maxOutputTokens).toBe(64_000);
    expect(catalog.find('gpt-4')).toBeUndefined();
    const dates = catalog.list().map((m) => m.createdAt);
    expect([...dates].sort().reverse()).toEqual(dates);
  });
});
