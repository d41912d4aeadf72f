/**
 * A fix as a shell script of `openstack` commands, runnable as it stands: creates before
 * deletes, each created object's id captured in a variable and used by id afterwards, the
 * owner's project on every create, no placeholders.
 */
import { type FixAction, type FixRef, type FixRule } from './types.js';

const quote = (s: string) => (/^[\w./:@,=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const variable = (name: string) => `${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_ID`;
const ref = (r: FixRef) => ('id' in r ? r.id : `"$${variable(r.created)}"`);

function ruleArgs(r: FixRule): string {
  const ports = r.port_range_min === null ? ''
    : r.protocol === 'icmp' || r.protocol === 'ipv6-icmp'
      ? ` --icmp-type ${r.port_range_min}${r.port_range_max === null ? '' : ` --icmp-code ${r.port_range_max}`}`
      : ` --dst-port ${r.port_range_min}:${r.port_range_max}`;
  const remote = r.remote_group ? ` --remote-group ${ref(r.remote_group)}` : r.remote_ip_prefix ? ` --remote-ip ${r.remote_ip_prefix}` : '';
  return `--${r.direction} --ethertype ${r.ethertype}${r.protocol ? ` --protocol ${r.protocol}` : ''}${ports}${remote}${r.description ? ` --description ${quote(r.description)}` : ''}`;
}

/** One action's commands (also how a report of `fix --apply` names what it ran). */
export function commands(a: FixAction): string[] {
  switch (a.op) {
    case 'create-group': {
      const v = variable(a.as);
      return [
        `${v}=$(openstack security group create --project ${a.project} --description ${quote(a.description)} -f value -c id ${quote(a.name)})`,
        ...(a.stockEgress === 'delete'
          ? [`for r in $(openstack security group rule list --egress -f value -c ID "$${v}"); do openstack security group rule delete "$r"; done`]
          : []),
      ];
    }
    case 'create-rule': return [`openstack security group rule create${a.project ? ` --project ${a.project}` : ''} ${ruleArgs(a.rule)} ${ref(a.group)}`];
    case 'delete-rule': return [`openstack security group rule delete ${a.rule}`];
    case 'delete-group': return [`openstack security group delete ${a.group}`];
    case 'set-port-groups': return [`openstack port set --no-security-group${a.groups.map((g) => ` --security-group ${ref(g)}`).join('')} ${a.port}`];
    case 'set-port-pairs': return [`openstack port set --no-allowed-address${a.pairs.map((p) => ` --allowed-address ip-address=${p.ip_address}${p.mac_address ? `,mac-address=${p.mac_address}` : ''}`).join('')} ${a.port}`];
    case 'set-port-security': return [`openstack port set --${a.enabled ? 'enable' : 'disable'}-port-security ${a.port}`];
    case 'set-group-stateful': return [`openstack security group set --${a.stateful ? 'stateful' : 'stateless'} ${a.group}`];
    case 'refresh-members': {
      const v = variable(a.name);
      return [
        `${v}=$(openstack port create --project ${a.project} --network ${a.network} --security-group ${a.group} -f value -c id ${quote(a.name)})`,
        `openstack port delete "$${v}"`,
      ];
    }
  }
}

const isDelete = (a: FixAction) => a.op === 'delete-rule' || a.op === 'delete-group';

/** The order a fix runs in, as a script or through the API: creates and changes as listed, deletes last. */
export const runOrder = (actions: readonly FixAction[]): FixAction[] => [...actions.filter((a) => !isDelete(a)), ...actions.filter(isDelete)];

/** The script: `set -e` so a failed step stops it. */
export function fixScript(actions: readonly FixAction[]): string[] {
  return ['set -e', ...runOrder(actions).flatMap(commands)];
}
