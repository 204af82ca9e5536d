import { errorMessage } from '@skiff/api-machinery';
import { ConfigError } from '@skiff/config';
import { readFileSync } from 'node:fs';

/**
 * A config file the gateway reads at boot (key file, audit policy): unreadable or refused by `parse` (throwing
 * `invalid`), it stops the gateway with a ConfigError naming the variable that points at it.
 */
export function readConfigFile<T>(
  variable: string,
  file: string,
  parse: (text: string) => T,
  invalid: abstract new (...args: never[]) => Error,
): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${file}: ${errorMessage(err)}`);
  }
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof invalid) throw new ConfigError(variable, `${file}: ${err.message}`);
    throw err;
  }
}
