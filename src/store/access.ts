/** Neutron's legacy (Zed default) policy on who owns what; which rows a project may read is the repositories' visibleTo. */
import { type Context } from '../model/schema.js';

export const owns = (ctx: Context, projectId: string): boolean => ctx.isAdmin || ctx.projectId === projectId;

/** The project whose view a caller reads: none (everything) for an admin. */
export const readerOf = (ctx: Context): string | undefined => (ctx.isAdmin ? undefined : ctx.projectId);
