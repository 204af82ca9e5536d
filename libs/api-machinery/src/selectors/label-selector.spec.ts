import { ApiError } from '../meta/status';
import {
  formatLabelSelector,
  formatLabels,
  labelSelectorFromObject,
  labelSelectorFromSet,
  labelSelectorToString,
  matchesLabels,
} from './label-selector';
import { parseLabelSelector } from './label-selector.parser';

const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

function parseError(s: string): ApiError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe(parseLabelSelector.name, () => {
  const labels = { app: 'web', env: 'prod', tier: 'frontend', replicas: '3' };

  it.each([
    ['', true],
    ['   ', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=api', false],
    ['app!=api', true],
    ['env in (prod,qa)', true],
    ['env in (qa)', false],
    ['env notin (qa, dev)', true],
    ['env notin (prod)', false],
    ['missing notin (x)', true],
    ['missing!=x', true],
    ['tier', true],
    ['partition', false],
    ['!partition', true],
    ['!tier', false],
    ['app=web,env=prod', true],
    ['app=web, env=qa', false],
    ['replicas>2', true],
    ['replicas<3', false],
    ['app>1', false],
    ['x in (in)', false],
    ['app in (web,,api)', true],
  ])('%j matches app=web,env=prod,... → %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesLabels(parseLabelSelector('!a'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('a'), undefined)).toBe(false);
  });

  it('matches empty values from "()", "a=" and ",,"', () => {
    expect(matchesLabels(parseLabelSelector('a in ()'), { a: '' })).toBe(true);
    expect(matchesLabels(parseLabelSelector('a='), { a: '' })).toBe(true);
    expect(matchesLabels(parseLabelSelector('a=,b=x'), { a: '', b: 'x' })).toBe(true);
  });

  it('prints the canonical string, sorted by key with values sorted', () => {
    expect(labelSelectorToString(parseLabelSelector('z=1, env in (qa,prod,qa), !b, a, c!=d, n>3'))).toBe(
      'a,!b,c!=d,env in (prod,qa),n>3,z=1',
    );
  });

  it.each([
    ['app:web', `unable to parse requirement: <nil>: Invalid value: "app:web": ${QUALIFIED_NAME_MSG}`],
    [
      'app.kubernetes_io/name=x',
      `unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['! =a', "unable to parse requirement: found '=', expected: identifier"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    [
      'a>x',
      `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
    [
      `a=${'z'.repeat(64)}`,
      `unable to parse requirement: values[0][a]: Invalid value: "${'z'.repeat(64)}": must be no more than 63 characters`,
    ],
    [
      'a in (-x,y-)',
      `unable to parse requirement: [values[0][a]: Invalid value: "-x": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), values[1][a]: Invalid value: "y-": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]`,
    ],
  ])('rejects %j with upstream message', (selector, message) => {
    const err = parseError(selector);
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(message);
  });
});

describe(labelSelectorFromObject.name, () => {
  it('selects nothing for a nil selector and everything for an empty one', () => {
    expect(matchesLabels(labelSelectorFromObject(undefined), { a: 'b' })).toBe(false);
    expect(matchesLabels(labelSelectorFromObject(null), {})).toBe(false);
    expect(matchesLabels(labelSelectorFromObject({}), { a: 'b' })).toBe(true);
  });

  it('ANDs matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'qa'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    expect(matchesLabels(sel, { app: 'web', env: 'qa', tier: 'x' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', env: 'qa', tier: 'x', canary: '1' })).toBe(false);
    expect(matchesLabels(sel, { app: 'web', env: 'qa', tier: 'x', zone: 'a' })).toBe(false);
    expect(labelSelectorToString(sel)).toBe('app=web,!canary,env in (prod,qa),tier,zone notin (a)');
  });

  it('rejects bad operators and values like upstream', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals' }] })).toThrow(
      '"Equals" is not a valid label selector operator',
    );
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    );
    expect(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x', 'y'] }] }),
    ).toThrow('values: Invalid value: []string{"x", "y"}: values set must be empty for exists and does not exist');
    expect(() => labelSelectorFromObject({ matchLabels: { 'a b': 'c' } })).toThrow(
      `key: Invalid value: "a b": ${QUALIFIED_NAME_MSG}`,
    );
  });
});

describe(formatLabelSelector.name, () => {
  it('prints like kubectl wide columns', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' } })).toBe('a=1,b=2');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toBe('<error>');
    expect(formatLabels({ run: 'web', app: 'x' })).toBe('app=x,run=web');
    expect(formatLabels(undefined)).toBe('<none>');
    expect(matchesLabels(labelSelectorFromSet({ app: 'web' }), { app: 'web', x: 'y' })).toBe(true);
  });
});
