/**
 * OTLP's AnyValue and KeyValue lists (common/v1/common.proto) in their JSON encoding, turned
 * into plain JSON values. Per the OTLP/JSON rules: 64-bit integers may come as decimal
 * strings or numbers; bytes are base64 (kept as the base64 text); an AnyValue with no value
 * set is empty (null). Nesting is bounded, and the walk is bounded by it, so a hostile
 * payload cannot overflow the stack. Keys named `__proto__` are dropped.
 */

/** A value that does not follow the OTLP JSON encoding; `path` names it. */
export class OtlpValueError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Deepest AnyValue nesting taken (the event model allows 32 levels in all). */
export const MAX_ANY_VALUE_DEPTH = 24;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const INT_RE = /^-?\d+$/;

/** An int64 as JSON: a number when it is exact, else its decimal text. */
function int64(v: unknown, path: string): number | string {
  // An int64 JSON number past 2^53 was rounded by JSON.parse: kept as its text, as decimal strings are.
  if (typeof v === 'number' && Number.isInteger(v)) return Number.isSafeInteger(v) ? v : String(v);
  if (typeof v === 'string' && INT_RE.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  throw new OtlpValueError(`${path}.intValue must be a 64-bit integer (a number or a decimal string)`, path);
}

/**
 * A double as JSON; proto3 JSON writes NaN and the infinities as strings, which JSON numbers
 * cannot hold. A number too large for a double (`1e400`, parsed as Infinity) is kept that way too.
 */
function double(v: unknown, path: string): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new OtlpValueError(`${path}.doubleValue must be a number`, path);
}

export function anyValue(v: unknown, path: string, depth = 0): Json {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new OtlpValueError(`${path} is nested deeper than ${MAX_ANY_VALUE_DEPTH} levels`, path);
  if (v === null || v === undefined) return null;
  if (!isDict(v)) throw new OtlpValueError(`${path} must be an AnyValue object such as {"stringValue":"..."}`, path);
  let out: Json = null;
  let kinds = 0;
  for (const key in v) {
    const x = v[key];
    switch (key) {
      case 'stringValue':
        if (typeof x !== 'string') throw new OtlpValueError(`${path}.stringValue must be a string`, path);
        out = x;
        break;
      case 'boolValue':
        if (typeof x !== 'boolean') throw new OtlpValueError(`${path}.boolValue must be true or false`, path);
        out = x;
        break;
      case 'intValue':
        out = int64(x, path);
        break;
      case 'doubleValue':
        out = double(x, path);
        break;
      case 'bytesValue':
        if (typeof x !== 'string') throw new OtlpValueError(`${path}.bytesValue must be base64 text`, path);
        out = x;
        break;
      case 'arrayValue': {
        const values = isDict(x) ? (x.values ?? []) : undefined;
        if (!Array.isArray(values)) throw new OtlpValueError(`${path}.arrayValue must be {"values":[...]}`, path);
        out = values.map((item, i) => anyValue(item, `${path}.arrayValue.values[${i}]`, depth + 1));
        break;
      }
      case 'kvlistValue': {
        const values = isDict(x) ? (x.values ?? []) : undefined;
        if (!Array.isArray(values)) throw new OtlpValueError(`${path}.kvlistValue must be {"values":[...]}`, path);
        out = keyValues(values, `${path}.kvlistValue.values`, depth + 1);
        break;
      }
      default:
        // Unknown fields are ignored (OTLP/JSON: receivers MUST ignore fields with unknown names).
        continue;
    }
    kinds++;
  }
  if (kinds > 1) throw new OtlpValueError(`${path} sets more than one kind of value`, path);
  return out;
}

/** A KeyValue list as an object. */
export function keyValues(list: unknown, path: string, depth = 0): { [key: string]: Json } {
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw new OtlpValueError(`${path} must be an array of {"key","value"}`, path);
  const out: { [key: string]: Json } = {};
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as unknown;
    if (!isDict(kv) || typeof kv.key !== 'string') {
      throw new OtlpValueError(`${path}[${i}] must be {"key": string, "value": AnyValue}`, `${path}[${i}]`);
    }
    if (kv.key === '__proto__') continue;
    out[kv.key] = anyValue(kv.value, `${path}[${i}].value`, depth);
  }
  return out;
}
