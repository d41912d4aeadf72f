/** Neutron's legacy (Zed default) read policy: who may see which object. */
import { type Context } from '../model/schema.js';
import { type Network } from '../model/network.js';

export const owns = (ctx: Context, projectId: string): boolean => ctx.isAdmin || ctx.projectId === projectId;

export const seesNetwork = (ctx: Context, n: Network): boolean => owns(ctx, n.project_id) || n.shared;
