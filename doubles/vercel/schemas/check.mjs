// Check JSON bodies against Vercel's published API models: the zod schemas of @vercel/sdk (generated from
// Vercel's OpenAPI description). Used by tests/doubles/vercel_contract.py; nothing here is hand-written shape.
//
// stdin: [{"name", "module": "getprojectdomainop", "schema": "GetProjectDomainResponseBody$inboundSchema",
//          "value": {...}, "allow": ["key", ...]}]
// stdout: [{"name", "ok", "issues": [...], "unrecognized": n, "zeroDefaults": n}]
//
// The SDK parses leniently ("lax mode"): unknown keys are stripped, a missing required field becomes its zero
// value, an enum value outside the published list or a wrong scalar type is coerced. Each leniency is made
// visible: objects are made strict (an unknown key fails the parse, unless listed in `allow`), and the SDK's
// own counters of coerced values ("unrecognized") and zero-filled required fields must stay at 0.
import * as z from "zod/v3";
import { startCountingUnrecognized } from "@vercel/sdk/types/unrecognized.js";
import { startCountingDefaultToZeroValue } from "@vercel/sdk/types/defaultToZeroValue.js";

let allowed = new Set();
const parseObject = z.ZodObject.prototype._parse;
z.ZodObject.prototype._parse = function strictParse(input) {
  const data = input.data;
  if (this._def.unknownKeys === "strip" && this._def.catchall._def.typeName === "ZodNever" && data && typeof data === "object" && !Array.isArray(data)) {
    const shape = this._def.shape();
    const extra = Object.keys(data).filter((key) => !(key in shape));
    if (extra.length) {
      const tolerated = Object.fromEntries(extra.filter((key) => allowed.has(key)).map((key) => [key, z.any()]));
      return parseObject.call(this.extend(tolerated).strict(), input);
    }
  }
  return parseObject.call(this, input);
};

function flatten(issues, out = []) {
  for (const issue of issues) {
    if (issue.code === "invalid_union" && issue.unionErrors) {
      // Report the option that came closest (fewest issues): the others are other shapes altogether.
      const best = issue.unionErrors.map((e) => flatten(e.issues)).sort((a, b) => a.length - b.length)[0] || [];
      out.push(...best);
    } else {
      const where = issue.path.join(".") || "(root)";
      const keys = issue.keys ? ` ${JSON.stringify(issue.keys)}` : "";
      out.push(`${where}: ${issue.code}${keys} ${issue.message}`);
    }
  }
  return out;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const modules = {};
const results = [];
for (const c of cases) {
  modules[c.module] ??= await import(`@vercel/sdk/models/${c.module}.js`);
  const schema = modules[c.module][c.schema];
  if (!schema) {
    results.push({ name: c.name, ok: false, issues: [`no schema ${c.schema} in models/${c.module}.js`],
                   unrecognized: 0, zeroDefaults: 0 });
    continue;
  }
  allowed = new Set(c.allow || []);
  const unrecognized = startCountingUnrecognized();
  const zeroDefaults = startCountingDefaultToZeroValue();
  const parsed = schema.safeParse(c.value);
  const counts = { unrecognized: unrecognized.end(), zeroDefaults: zeroDefaults.end() };
  const issues = parsed.success ? [] : flatten(parsed.error.issues);
  results.push({ name: c.name, ok: parsed.success && !counts.unrecognized && !counts.zeroDefaults, issues, ...counts });
}
process.stdout.write(JSON.stringify(results));
