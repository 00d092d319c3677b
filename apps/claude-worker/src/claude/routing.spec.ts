import { routeModel } from './routing.ts';

const table = {
  routes: { classify: 'claude-haiku-4-5', complex: 'claude-opus-4-6' },
  defaultModel: 'claude-sonnet-4-6',
};

describe('model routing', () => {
  it('maps a task class to its model', () => {
    expect(routeModel({ task_class: 'classify' }, table)).toBe('claude-haiku-4-5');
    expect(routeModel({ task_class: 'complex' }, table)).toBe('claude-opus-4-6');
  });

  it('lets an explicit model win', () => {
    expect(routeModel({ model: 'claude-opus-4-5', task_class: 'classify' }, table)).toBe(
      'claude-opus-4-5',
    );
  });

  it('gives an unknown task class the default model', () => {
    expect(routeModel({ task_class: 'poetry' }, table)).toBe('claude-sonnet-4-6');
  });
});
