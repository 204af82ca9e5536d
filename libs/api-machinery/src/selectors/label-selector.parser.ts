// The `?labelSelector=` grammar, lexed and parsed the way labels.Parse does it so that every
// accepted string, every rejected one and every error message agree with kube-apiserver.
import { ApiError } from '../meta/status';
import {
  LabelMatcher,
  LabelOperator,
  labelKeyError,
  labelMatcherOf,
  LabelRequirement,
  newLabelRequirement,
} from './label-selector';

type Token =
  | 'error'
  | 'end'
  | 'closedPar'
  | 'comma'
  | 'doesNotExist'
  | 'doubleEquals'
  | 'equals'
  | 'greaterThan'
  | 'identifier'
  | 'in'
  | 'lessThan'
  | 'notEquals'
  | 'notIn'
  | 'openPar';

interface Scanned {
  tok: Token;
  lit: string;
}

const LITERAL_TOKENS: Record<string, Token> = {
  ')': 'closedPar',
  ',': 'comma',
  '!': 'doesNotExist',
  '==': 'doubleEquals',
  '=': 'equals',
  '>': 'greaterThan',
  in: 'in',
  '<': 'lessThan',
  '!=': 'notEquals',
  notin: 'notIn',
  '(': 'openPar',
};

// Listed in upstream's order: it is part of an error message.
const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecial = (ch: string): boolean => '=!(),><'.includes(ch);

function lex(s: string): Scanned[] {
  const out: Scanned[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos])) pos++;
    if (pos >= s.length) {
      out.push({ tok: 'end', lit: '' });
      return out;
    }
    if (isSpecial(s[pos])) {
      // Longest run of symbols that still forms a known operator ("!=", "=="), as upstream.
      let buffer = '';
      let last: Scanned | undefined;
      while (pos < s.length && isSpecial(s[pos])) {
        buffer += s[pos];
        const tok = LITERAL_TOKENS[buffer];
        if (tok) last = { tok, lit: buffer };
        else if (last) break;
        pos++;
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      continue;
    }
    const start = pos;
    while (pos < s.length && !isSpecial(s[pos]) && !isWhitespace(s[pos])) pos++;
    const word = s.slice(start, pos);
    out.push({ tok: LITERAL_TOKENS[word] ?? 'identifier', lit: word });
  }
}

class SelectorSyntaxError extends Error {}

class Parser {
  private position = 0;

  constructor(private readonly items: Scanned[]) {}

  // In a value position "in" and "notin" are plain identifiers ("x in (in)").
  private static asValue(item: Scanned): Scanned {
    return item.tok === 'in' || item.tok === 'notIn' ? { tok: 'identifier', lit: item.lit } : item;
  }

  private lookahead(values = true): Scanned {
    const item = this.items[this.position];
    return values ? Parser.asValue(item) : item;
  }

  private consume(values = true): Scanned {
    const item = this.items[this.position++];
    return values ? Parser.asValue(item) : item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead();
      if (tok === 'end') return requirements;
      if (tok !== 'identifier' && tok !== 'doesNotExist') {
        throw new SelectorSyntaxError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.parseRequirementOrWrap());
      const next = this.consume();
      if (next.tok === 'end') return requirements;
      if (next.tok !== 'comma') throw new SelectorSyntaxError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead();
      if (after.tok !== 'identifier' && after.tok !== 'doesNotExist') {
        throw new SelectorSyntaxError(`found '${after.lit}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirementOrWrap(): LabelRequirement {
    try {
      return this.parseRequirement();
    } catch (e) {
      if (e instanceof SelectorSyntaxError) throw new SelectorSyntaxError(`unable to parse requirement: ${e.message}`);
      throw e;
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator } = this.parseKeyAndInferOperator();
    if (operator === 'exists' || operator === '!') return checked(newLabelRequirement(key, operator, []));
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    // sets.String.List(): de-duplicated and sorted.
    return checked(newLabelRequirement(key, op, [...new Set(values)].sort()));
  }

  private parseKeyAndInferOperator(): { key: string; operator?: LabelOperator } {
    let operator: LabelOperator | undefined;
    let item = this.consume();
    if (item.tok === 'doesNotExist') {
      operator = '!';
      item = this.consume();
    }
    if (item.tok !== 'identifier') throw new SelectorSyntaxError(`found '${item.lit}', expected: identifier`);
    const keyErr = labelKeyError(item.lit, undefined);
    if (keyErr) throw new SelectorSyntaxError(keyErr);
    const next = this.lookahead().tok;
    if ((next === 'end' || next === 'comma') && operator !== '!') operator = 'exists';
    return { key: item.lit, operator };
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume(false);
    const ops: Partial<Record<Token, LabelOperator>> = {
      in: 'in',
      equals: '=',
      doubleEquals: '==',
      greaterThan: 'gt',
      lessThan: 'lt',
      notIn: 'notin',
      notEquals: '!=',
    };
    const op = ops[tok];
    if (!op) throw new SelectorSyntaxError(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    return op;
  }

  private parseValues(): string[] {
    const open = this.consume();
    if (open.tok !== 'openPar') throw new SelectorSyntaxError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead();
    if (tok === 'identifier' || tok === 'comma') {
      const values = this.parseIdentifiersList();
      if (this.consume().tok !== 'closedPar') throw new SelectorSyntaxError(`found '${lit}', expected: ')'`);
      return values;
    }
    if (tok === 'closedPar') {
      this.consume();
      return [''];
    }
    throw new SelectorSyntaxError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  // A possibly empty list of possibly empty identifiers: "(a,,b)", "(,a)", "(a,)".
  private parseIdentifiersList(): string[] {
    const values: string[] = [];
    for (;;) {
      const { tok, lit } = this.consume();
      if (tok === 'identifier') {
        values.push(lit);
        const next = this.lookahead();
        if (next.tok === 'comma') continue;
        if (next.tok === 'closedPar') return values;
        throw new SelectorSyntaxError(`found '${next.lit}', expected: ',' or ')'`);
      }
      if (tok === 'comma') {
        if (values.length === 0) values.push('');
        const next = this.lookahead().tok;
        if (next === 'closedPar') {
          values.push('');
          return values;
        }
        if (next === 'comma') {
          this.consume();
          values.push('');
        }
        continue;
      }
      throw new SelectorSyntaxError(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const next = this.lookahead().tok;
    if (next === 'end' || next === 'comma') return [''];
    const { tok, lit } = this.consume();
    if (tok === 'identifier') return [lit];
    throw new SelectorSyntaxError(`found '${lit}', expected: identifier`);
  }
}

function checked(r: LabelRequirement | string): LabelRequirement {
  if (typeof r === 'string') throw new SelectorSyntaxError(r);
  return r;
}

/**
 * labels.Parse for `?labelSelector=`. "" selects everything. Unparsable input throws
 * ApiError 400 carrying upstream's message (e.g. `unable to parse requirement: ...`).
 */
export function parseLabelSelector(selector: string): LabelMatcher {
  try {
    return labelMatcherOf(new Parser(lex(selector)).parse());
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw ApiError.badRequest(e.message);
    throw e;
  }
}
