import { CORE_V1_KINDS } from './core-v1.messages';
import { MessageDef } from './message-def';
import { META_V1_OPTION_KINDS } from './meta-v1.messages';

// Message tables by group version and kind; a kind without a table is rejected rather than guessed.
const KINDS_BY_GROUP_VERSION: Readonly<Record<string, Readonly<Record<string, MessageDef>>>> = {
  v1: CORE_V1_KINDS,
};

export function messageDefFor(apiVersion: string, kind: string): MessageDef | undefined {
  if (Object.hasOwn(META_V1_OPTION_KINDS, kind)) return META_V1_OPTION_KINDS[kind];
  const kinds = Object.hasOwn(KINDS_BY_GROUP_VERSION, apiVersion) ? KINDS_BY_GROUP_VERSION[apiVersion] : undefined;
  return kinds && Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
}
