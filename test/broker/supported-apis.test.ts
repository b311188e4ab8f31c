import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSupportedApis, SUPPORTED_APIS_PAGE } from '../../scripts/supported-apis.ts';
import { supportedApiVersions } from '../../src/broker/broker.ts';
import { HANDLERS } from '../../src/broker/handlers/index.ts';
import { API_SCHEMAS } from '../../src/protocol/index.ts';

describe('the handler registry', () => {
  it('docs/reference/supported-apis.md is what the registry says (regenerate with npx tsx scripts/supported-apis.ts)', () => {
    expect(readFileSync(SUPPORTED_APIS_PAGE, 'utf8')).toBe(renderSupportedApis());
  });

  it('advertises in ApiVersions exactly the handlers it has, within the versions Kafka defines', () => {
    const advertised = supportedApiVersions();
    expect(advertised.map((a) => a.apiKey)).toEqual([...HANDLERS].map((h) => h.apiKey).sort((a, b) => a - b));
    for (const api of advertised) {
      const schema = API_SCHEMAS.get(api.apiKey)!.request;
      expect(api.minVersion).toBeGreaterThanOrEqual(schema.validVersions[0]);
      expect(api.maxVersion).toBeLessThanOrEqual(schema.validVersions[1]);
    }
  });

  it('every handler file says what it leaves out', () => {
    for (const line of renderSupportedApis().split('\n').filter((l) => l.startsWith('| ') && /^\| \d/.test(l))) {
      expect(line.trim().endsWith('|  |'), `no "Leaves out:" in the header of: ${line}`).toBe(false);
    }
  });
});
