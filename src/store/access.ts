/** Neutron's legacy (Zed default) read policy: who may see which object. */
import { type Context } from '../model/schema.js';
import { type Network } from '../model/network.js';
import { type Store } from './store.js';

export const owns = (ctx: Context, projectId: string): boolean => ctx.isAdmin || ctx.projectId === projectId;

export const seesNetwork = (ctx: Context, n: Network): boolean => owns(ctx, n.project_id) || n.shared;

/** admin_or_owner, or the owner of the network the object lives on */
export function ownsOrNetworkOwner(store: Store, ctx: Context, projectId: string, networkId: string): boolean {
  if (owns(ctx, projectId)) return true;
  return store.network(networkId)?.project_id === ctx.projectId;
}
