/**
 * A structural check of SARIF 2.1.0 logs (OASIS, sarif-schema-2.1.0.json) for the objects
 * portsec writes, as the schema states them: the required properties, the enumerations,
 * integer minimums, and no property the schema does not define (its objects are all
 * `additionalProperties: false` but property bags). Objects portsec never writes are left out,
 * so a log using one fails here rather than passing unchecked. On top, what GitHub code
 * scanning refuses: more than 20 runs, 25,000 results per run or 1,000 locations per result,
 * and a ruleIndex that does not point at its ruleId.
 */
import { z } from 'zod';

const index = z.number().int().min(-1);
const propertyBag = z.looseObject({ tags: z.array(z.string()).max(20).optional() });
const multiformatMessageString = z.strictObject({ text: z.string(), markdown: z.string().optional(), properties: propertyBag.optional() });
const message = z.strictObject({ text: z.string().optional(), markdown: z.string().optional(), id: z.string().optional(), arguments: z.array(z.string()).optional(), properties: propertyBag.optional() })
  .refine((m) => m.text !== undefined || m.id !== undefined, 'a message needs text or id');

const reportingDescriptor = z.strictObject({
  id: z.string(), name: z.string().optional(), shortDescription: multiformatMessageString.optional(), fullDescription: multiformatMessageString.optional(),
  help: multiformatMessageString.optional(), helpUri: z.string().optional(), properties: propertyBag.optional(),
});
const reportingDescriptorReference = z.strictObject({ id: z.string().optional(), index: index.optional(), properties: propertyBag.optional() });
const toolComponent = z.strictObject({
  name: z.string(), version: z.string().optional(), semanticVersion: z.string().optional(), informationUri: z.string().optional(),
  rules: z.array(reportingDescriptor).max(25_000).optional(), properties: propertyBag.optional(),
});
const tool = z.strictObject({ driver: toolComponent, extensions: z.array(toolComponent).max(100).optional(), properties: propertyBag.optional() });

const artifactLocation = z.strictObject({ uri: z.string().optional(), uriBaseId: z.string().optional(), index: index.optional(), description: message.optional(), properties: propertyBag.optional() });
const physicalLocation = z.strictObject({ artifactLocation: artifactLocation.optional(), properties: propertyBag.optional() })
  .refine((p) => p.artifactLocation !== undefined, 'a physical location needs an artifactLocation (or an address)');
const logicalLocation = z.strictObject({
  name: z.string().optional(), index: index.optional(), fullyQualifiedName: z.string().optional(), decoratedName: z.string().optional(),
  parentIndex: index.optional(), kind: z.string().optional(), properties: propertyBag.optional(),
});
const location = z.strictObject({
  id: index.optional(), physicalLocation: physicalLocation.optional(), logicalLocations: z.array(logicalLocation).optional(), message: message.optional(), properties: propertyBag.optional(),
});
const suppression = z.strictObject({ kind: z.enum(['inSource', 'external']), justification: z.string().optional(), location: location.optional(), properties: propertyBag.optional() });
const level = z.enum(['none', 'note', 'warning', 'error']);

const result = z.strictObject({
  ruleId: z.string().optional(), ruleIndex: index.optional(), kind: z.enum(['notApplicable', 'pass', 'fail', 'review', 'open', 'informational']).optional(),
  level: level.optional(), message, locations: z.array(location).optional(), relatedLocations: z.array(location).optional(),
  partialFingerprints: z.record(z.string(), z.string()).optional(), fingerprints: z.record(z.string(), z.string()).optional(),
  suppressions: z.array(suppression).optional(), properties: propertyBag.optional(),
}).refine((r) => (r.locations?.length ?? 0) + (r.relatedLocations?.length ?? 0) <= 1_000, 'more than 1,000 locations in a result');

const notification = z.strictObject({ message, level: level.optional(), descriptor: reportingDescriptorReference.optional(), properties: propertyBag.optional() });
const invocation = z.strictObject({
  executionSuccessful: z.boolean(), toolExecutionNotifications: z.array(notification).optional(), toolConfigurationNotifications: z.array(notification).optional(),
  exitCode: z.number().int().optional(), properties: propertyBag.optional(),
});
const run = z.strictObject({
  tool, invocations: z.array(invocation).optional(), results: z.array(result).max(25_000).optional(),
  automationDetails: z.strictObject({ id: z.string().optional(), guid: z.string().optional(), description: message.optional(), properties: propertyBag.optional() }).optional(),
  properties: propertyBag.optional(),
}).refine((r) => (r.results ?? []).every((x) => x.ruleIndex === undefined || r.tool.driver.rules?.[x.ruleIndex]?.id === x.ruleId), 'a result\'s ruleIndex points at another rule');

export const sarifLog = z.strictObject({ $schema: z.string().optional(), version: z.literal('2.1.0'), runs: z.array(run).max(20), properties: propertyBag.optional() });

export type SarifLog = z.infer<typeof sarifLog>;

/** The log, parsed, or the first problems found as an error. */
export function validSarif(text: string): SarifLog {
  const parsed = sarifLog.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`not SARIF 2.1.0 as code scanning takes it: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
