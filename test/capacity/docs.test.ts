import { fillBlocks, renderRuleExamples, staleFiles } from '../../lib/capacity/render-docs';

test('the generated blocks of README.md and docs/capacity.md match the model (npm run docs:capacity)', () => {
  expect(staleFiles()).toEqual([]);
});

test('every rule the model can judge has a real example in the docs', () => {
  expect(renderRuleExamples().split('\n')).toHaveLength(15);
});

test('a block is replaced between its markers, and missing markers are an error', () => {
  const text = 'a\n<!-- capacity:x -->\nold\n<!-- /capacity:x -->\nb';
  expect(fillBlocks(text, { x: 'new' }, 'f.md')).toBe('a\n<!-- capacity:x -->\nnew\n<!-- /capacity:x -->\nb');
  expect(() => fillBlocks('no markers', { x: 'new' }, 'f.md')).toThrow('f.md lacks the markers <!-- capacity:x --> ... <!-- /capacity:x -->');
});
