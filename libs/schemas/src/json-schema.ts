import { z } from 'zod';
import type { Contract } from './contracts.ts';

/** A JSON value, for schemas and generated documents. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonSchemaTarget = 'draft-2020-12' | 'draft-7';

export const contractSchemaId = (contract: Pick<Contract, 'name' | 'version'>): string =>
  `urn:claude-pipeline:schema:${contract.name}:v${contract.version}`;

/**
 * The JSON Schema of a contract. Generated in zod's `input` mode: objects that zod parses
 * leniently (unknown keys stripped) get no `additionalProperties: false`, so a consumer that
 * validates with the JSON Schema also tolerates fields added later; strict request bodies keep
 * it. Refinements (cross-field rules) are not expressible and are named in `description`.
 */
export function toJsonSchema(
  contract: Contract,
  options: { target?: JsonSchemaTarget; standalone?: boolean } = {},
): JsonObject {
  const generated = z.toJSONSchema(contract.schema, {
    target: options.target ?? 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
  });
  // Round-trip through JSON: drops `undefined` members and yields plain JSON values.
  const { $schema, ...body } = JSON.parse(JSON.stringify(generated)) as JsonObject;
  if (options.standalone === false) return { title: contract.title, ...body };
  return {
    ...($schema === undefined ? {} : { $schema }),
    $id: contractSchemaId(contract),
    title: contract.title,
    ...body,
  };
}
