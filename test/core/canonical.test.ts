import t from 'tap';
import { canonicalHash, normalizeNumber } from '../../src/core/canonical.js';

t.test('numbers are normalised to one plain decimal form', async (t) => {
  const cases: Array<[string, string]> = [
    ['1', '1'], ['1.0', '1'], ['01', '1'], ['1E2', '100'], ['1e+2', '100'], ['+5', '5'],
    ['-0', '0'], ['0.000', '0'], ['1.50', '1.5'], ['-1.5E-3', '-0.0015'], ['.5', '0.5'], ['5.', '5'],
    ['12345678901234567890123456789012345678', '12345678901234567890123456789012345678'],
    ['1E-130', `0.${'0'.repeat(129)}1`],
    ['0', '0'], ['-12', '-12'], ['100', '100'], ['-007', '-7'], ['00', '0'], [' 12', '12'],
  ];
  for (const [input, expected] of cases) t.equal(normalizeNumber(input), expected, input);
  t.throws(() => normalizeNumber('1e'), { message: /not a number/ });
  t.throws(() => normalizeNumber('abc'));
  t.throws(() => normalizeNumber('.'));
});

t.test('equal items hash alike whatever their textual form', async (t) => {
  const a = canonicalHash({ n: { N: '1.0' }, big: { N: '1E2' }, s: { SS: ['b', 'a'] }, ns: { NS: ['2', '1.0'] }, m: { M: { y: { B: 'AQ==' }, x: { NULL: true } } } });
  const b = canonicalHash({ m: { M: { x: { NULL: true }, y: { B: 'AQ' } } }, ns: { NS: ['1', '2'] }, s: { SS: ['a', 'b'] }, big: { N: '100' }, n: { N: '1' } });
  t.equal(a, b);
  t.match(a, /^[0-9a-f]{64}$/);
});

t.test('different items hash differently', async (t) => {
  const base = canonicalHash({ a: { S: '1' } });
  t.not(canonicalHash({ a: { N: '1' } }), base, 'string vs number');
  t.not(canonicalHash({ a: { SS: ['1'] } }), canonicalHash({ a: { L: [{ S: '1' }] } }), 'set vs list');
  t.not(canonicalHash({ a: { L: [{ S: 'x' }, { S: 'y' }] } }), canonicalHash({ a: { L: [{ S: 'y' }, { S: 'x' }] } }), 'list order matters');
  t.not(canonicalHash({ a: { S: '1' }, b: { S: '' } }), base, 'an extra empty attribute counts');
  t.not(canonicalHash({ a: { N: '12345678901234567890123456789012345678' } }), canonicalHash({ a: { N: '12345678901234567890123456789012345679' } }));
});
