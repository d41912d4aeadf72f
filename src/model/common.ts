/** Attributes every Neutron resource with standard attributes shares. */
import { type AttrSpec, string, uniqueStrings } from './schema.js';

export const idAttr: AttrSpec = { post: false, put: false, visible: true, filter: true, sort: true };

export const nameAttr: AttrSpec = {
  post: true, put: true, default: '', input: string(255), visible: true, filter: true, sort: true,
};

export const projectAttrs: Record<string, AttrSpec> = {
  tenant_id: { post: true, put: false, input: string(255), visible: true, filter: true, sort: true },
  project_id: { post: true, put: false, input: string(255), visible: true, filter: true, sort: true },
};

/** standard-attr-description, -revisions, -timestamp, -tag */
export const standardAttrs: Record<string, AttrSpec> = {
  description: { post: true, put: true, default: '', input: string(255), visible: true, filter: true, sort: true },
  tags: { post: false, put: false, visible: true },
  created_at: { post: false, put: false, visible: true, sort: true },
  updated_at: { post: false, put: false, visible: true, sort: true },
  revision_number: { post: false, put: false, visible: true, filter: true, sort: true },
};

/** standard-attr-tag's limit on one tag */
export const MAX_TAG_LEN = 255;

/** A port's tags, which tag-ports-during-bulk-creation lets a POST set (TAG_ATTRIBUTE_MAP_PORTS) */
export const portTagsAttr: AttrSpec = { post: true, put: false, default: [], input: uniqueStrings(MAX_TAG_LEN), visible: true };

/** The standard-attribute part of a stored row, shared by all resources. */
export interface StandardAttrs {
  standard_attr_id: number;
  description: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
  /** standard-attr-tag (absent: none) */
  tags?: string[];
}

export function standardView(s: StandardAttrs): Record<string, unknown> {
  return {
    description: s.description,
    tags: s.tags ?? [],
    created_at: s.created_at,
    updated_at: s.updated_at,
    revision_number: s.revision_number,
  };
}

export function projectView(projectId: string): Record<string, unknown> {
  return { tenant_id: projectId, project_id: projectId };
}

/** Neutron's timestamp format: seconds, UTC, trailing Z. */
export function timestamp(at: Date = new Date()): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}
