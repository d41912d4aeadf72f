/**
 * The conformance scenario's RBAC part: a group of proj-a shared with proj-b
 * through RBAC policies (object type security_group, action access_as_shared),
 * what each project may then do with it, and what a port using it forbids. proj-c
 * is the project nothing is shared with.
 */
import { type Json } from './normalise.js';
import { type Session, type Who } from './session.js';

const V = '/v2.0';
const NOBODY = '00000000-0000-4000-8000-000000000001';

const rbac = (body: Record<string, Json>) => ({ rbac_policy: body });
const share = (objectId: string, target: string, extra: Record<string, Json> = {}) =>
  rbac({ object_type: 'security_group', object_id: objectId, action: 'access_as_shared', target_tenant: target, ...extra });

export async function rbacSharing(s: Session): Promise<void> {
  const post = (step: string, who: Who, collection: string, body: Json) => s.call(step, 'POST', `${V}/${collection}`, { body, who });
  const saved = async (name: string, step: string, who: Who, collection: string, resource: string, body: Record<string, Json>) => {
    const r = await post(step, who, collection, { [resource]: body });
    if (r.status === 201) s.save(name, r.body[resource].id);
    return r;
  };
  const port = async (name: string, step: string, who: Who, body: Record<string, Json>) => {
    const r = await post(step, who, 'ports', { port: body });
    if (r.status === 201) s.savePort(name, r.body.port, body);
  };
  const policies = `${V}/rbac-policies`;
  const policy = (name: string) => `${policies}/${s.id(name)}`;

  await saved('sg.shared', 'rbac: A makes a group to share', 'a', 'security-groups', 'security_group', { name: 'shared' });
  const sg = s.id('sg.shared');
  await s.call('rbac: B cannot see it yet', 'GET', `${V}/security-groups/${sg}`, { who: 'b' });
  await saved('rbac.b', 'rbac: A shares it with B', 'a', 'rbac-policies', 'rbac_policy', share(sg, 'proj-b').rbac_policy as Record<string, Json>);
  await post('rbac: the same policy again', 'a', 'rbac-policies', share(sg, 'proj-b'));
  await post('rbac: target_project is not an attribute', 'a', 'rbac-policies',
    rbac({ object_type: 'security_group', object_id: sg, action: 'access_as_shared', target_project: 'proj-c' }));
  await post('rbac: a member may not share with everyone', 'a', 'rbac-policies', share(sg, '*'));
  await post('rbac: B may not share A\'s group', 'b', 'rbac-policies', share(sg, 'proj-c'));
  await post('rbac: an action security groups lack', 'a', 'rbac-policies', share(sg, 'proj-c', { action: 'access_as_external' }));
  await post('rbac: an object type nobody has', 'a', 'rbac-policies', share(sg, 'proj-c', { object_type: 'foo' }));
  await post('rbac: a group nobody has', 'a', 'rbac-policies', share(NOBODY, 'proj-c'));
  await post('rbac: no target', 'a', 'rbac-policies', rbac({ object_type: 'security_group', object_id: sg, action: 'access_as_shared' }));
  await post('rbac: object_id not a UUID', 'a', 'rbac-policies', share('xyz', 'proj-c'));
  await post('rbac: a target over 255 characters', 'a', 'rbac-policies', share(sg, 'x'.repeat(256)));
  await saved('rbac.d', 'rbac: the type in capitals and spaces', 'a', 'rbac-policies', 'rbac_policy',
    share(sg, 'proj-d', { object_type: ' Security_Group ' }).rbac_policy as Record<string, Json>);
  await post('rbac: a member names another project as owner', 'a', 'rbac-policies', share(sg, 'proj-e', { tenant_id: 'proj-b' }));
  await s.call('rbac: A lists its policies', 'GET', policies);
  await s.call('rbac: B lists none (it made none)', 'GET', policies, { who: 'b' });
  await s.call('rbac: admin lists them', 'GET', `${policies}?object_id=${sg}`, { who: 'admin' });
  await s.call('rbac: filtered by target and type', 'GET', `${policies}?target_tenant=proj-b&object_type=security_group`);
  await s.call('rbac: target_project is no filter', 'GET', `${policies}?target_project=proj-b`);
  await s.call('rbac: no sort keys', 'GET', `${policies}?sort_key=id&sort_dir=asc`);
  await s.call('rbac: no pages (limit is not read)', 'GET', `${policies}?limit=abc&fields=target_tenant`);
  await s.call('rbac: B cannot read the policy', 'GET', policy('rbac.b'), { who: 'b' });
  await s.call('rbac: A reads it', 'GET', `${policy('rbac.b')}?fields=id&fields=target_tenant`);

  await s.call('rbac: B sees the group, shared', 'GET', `${V}/security-groups/${sg}`, { who: 'b' });
  await s.call('rbac: A sees it, not shared with A', 'GET', `${V}/security-groups/${sg}?fields=id&fields=shared`);
  await s.call('rbac: B lists what is shared with it', 'GET', `${V}/security-groups?shared=true&fields=id&fields=project_id`, { who: 'b' });
  await s.call('rbac: C cannot see it', 'GET', `${V}/security-groups/${sg}`, { who: 'c' });
  // one rule, the same on both servers (their unsorted lists may differ in order)
  const rules = await s.call('rbac: A lists its rules', 'GET', `${V}/security-group-rules?security_group_id=${sg}&ethertype=IPv4&fields=id`);
  const rule = rules.body?.security_group_rules?.[0]?.id ?? NOBODY;
  await s.call('rbac: B lists none of its rules', 'GET', `${V}/security-group-rules?security_group_id=${sg}`, { who: 'b' });
  await s.call('rbac: B cannot read one', 'GET', `${V}/security-group-rules/${rule}`, { who: 'b' });
  await s.call('rbac: B cannot delete one', 'DELETE', `${V}/security-group-rules/${rule}`, { who: 'b' });
  await s.call('rbac: B cannot rename the group', 'PUT', `${V}/security-groups/${sg}`, { body: { security_group: { name: 'x' } }, who: 'b' });
  await s.call('rbac: B cannot delete the group', 'DELETE', `${V}/security-groups/${sg}`, { who: 'b' });
  await saved('rule.b-in-shared', 'rbac: B adds a rule of its own to the group', 'b', 'security-group-rules', 'security_group_rule',
    { security_group_id: sg, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
  await saved('sg.b-rbac', 'rbac: B makes a group', 'b', 'security-groups', 'security_group', { name: 'b-rbac' });
  await saved('rule.b-remote', 'rbac: B names the shared group as remote', 'b', 'security-group-rules', 'security_group_rule',
    { security_group_id: s.id('sg.b-rbac'), direction: 'ingress', remote_group_id: sg });
  await saved('sg.c-rbac', 'rbac: C makes a group', 'c', 'security-groups', 'security_group', { name: 'c-rbac' });
  await post('rbac: C cannot name it as remote', 'c', 'security-group-rules',
    { security_group_rule: { security_group_id: s.id('sg.c-rbac'), direction: 'ingress', remote_group_id: sg } });

  await saved('net.b-rbac', 'rbac: B makes a network', 'b', 'networks', 'network', { name: 'b-rbac' });
  await saved('sub.b-rbac', 'rbac: B makes a subnet', 'b', 'subnets', 'subnet', { network_id: s.id('net.b-rbac'), cidr: '10.31.0.0/24', ip_version: 4 });
  await port('port.b-rbac', 'rbac: B\'s port uses the shared group', 'b', { network_id: s.id('net.b-rbac'), security_groups: [sg] });
  await saved('net.c-rbac', 'rbac: C makes a network', 'c', 'networks', 'network', { name: 'c-rbac' });
  await port('port.c-rbac', 'rbac: C\'s port may not', 'c', { network_id: s.id('net.c-rbac'), security_groups: [sg] });
  const bPort = `${V}/ports/${s.id('port.b-rbac')}`;
  await s.call('rbac: A cannot see B\'s port', 'GET', bPort);
  await s.call('rbac: the policy B uses cannot go', 'DELETE', policy('rbac.b'));
  await s.call('rbac: nor move to another project', 'PUT', policy('rbac.b'), { body: rbac({ target_tenant: 'proj-c' }) });
  await s.call('rbac: a member may not move it to everyone', 'PUT', policy('rbac.b'), { body: rbac({ target_tenant: '*' }) });
  await s.call('rbac: the action is read-only', 'PUT', policy('rbac.b'), { body: rbac({ action: 'x' }) });
  await s.call('rbac: an update without a target', 'PUT', policy('rbac.b'), { body: rbac({}) });
  await s.call('rbac: the same target again', 'PUT', policy('rbac.b'), { body: rbac({ target_tenant: 'proj-b' }) });
  await s.call('rbac: the group B uses cannot go', 'DELETE', `${V}/security-groups/${sg}`);
  await s.call('rbac: nor turn stateless', 'PUT', `${V}/security-groups/${sg}`, { body: { security_group: { stateful: false } } });
  await s.call('rbac: B cannot delete the policy', 'DELETE', policy('rbac.b'), { who: 'b' });

  await saved('rbac.all', 'rbac: admin shares with everyone', 'admin', 'rbac-policies', 'rbac_policy', share(sg, '*').rbac_policy as Record<string, Json>);
  await s.call('rbac: A sees it shared now', 'GET', `${V}/security-groups/${sg}?fields=shared`);
  await s.call('rbac: C too', 'GET', `${V}/security-groups/${sg}?fields=shared`, { who: 'c' });
  await s.call('rbac: A cannot see the admin\'s policy', 'DELETE', policy('rbac.all'));
  await s.call('rbac: with the wildcard, B\'s own policy may go', 'DELETE', policy('rbac.b'), { who: 'admin' });
  await s.call('rbac: the wildcard B relies on cannot', 'DELETE', policy('rbac.all'), { who: 'admin' });
  await s.call('rbac: B\'s port drops the group', 'PUT', bPort, { body: { port: { security_groups: [] } }, who: 'b' });
  await s.call('rbac: now the wildcard may go', 'DELETE', policy('rbac.all'), { who: 'admin' });
  await s.call('rbac: B sees the group no more', 'GET', `${V}/security-groups/${sg}`, { who: 'b' });
  await s.call('rbac: B\'s rule naming it stays', 'GET', `${V}/security-group-rules?remote_group_id=${sg}&fields=security_group_id`, { who: 'b' });
  await s.call('rbac: nor may B\'s port take it', 'PUT', bPort, { body: { port: { security_groups: [sg] } }, who: 'b' });

  await saved('rbac.b2', 'rbac: admin shares it with B for A', 'admin', 'rbac-policies', 'rbac_policy',
    share(sg, 'proj-b', { tenant_id: 'proj-a' }).rbac_policy as Record<string, Json>);
  await s.call('rbac: B\'s port takes it again', 'PUT', bPort, { body: { port: { security_groups: [sg, s.id('sg.b-rbac')] } }, who: 'b' });
  await s.call('rbac: not moved to A while B uses it', 'PUT', policy('rbac.b2'), { body: rbac({ target_tenant: 'proj-a' }) });
  await s.call('rbac: B\'s port goes', 'DELETE', bPort, { who: 'b' });
  await s.call('rbac: now moved to A\'s own project', 'PUT', policy('rbac.b2'), { body: rbac({ target_tenant: 'proj-a' }) });
  await saved('net.a-rbac', 'rbac: A makes a network', 'a', 'networks', 'network', { name: 'a-rbac' });
  await saved('sub.a-rbac', 'rbac: A makes a subnet', 'a', 'subnets', 'subnet', { network_id: s.id('net.a-rbac'), cidr: '10.32.0.0/24', ip_version: 4 });
  await port('port.a-rbac', 'rbac: A\'s own port in its group', 'a', { network_id: s.id('net.a-rbac'), security_groups: [sg] });
  await saved('rbac.all2', 'rbac: admin shares with everyone again', 'admin', 'rbac-policies', 'rbac_policy', share(sg, '*').rbac_policy as Record<string, Json>);
  await s.call('rbac: A deletes the policy naming its own project', 'DELETE', policy('rbac.b2'));
  await s.call('rbac: the wildcard counts the owner\'s ports too', 'DELETE', policy('rbac.all2'), { who: 'admin' });
  await post('rbac: no bulk create', 'a', 'rbac-policies', { rbac_policies: [share(sg, 'proj-x').rbac_policy] });
  await s.call('rbac: the collection has no PUT', 'PUT', policies, { body: rbac({}) });
  await s.call('rbac: A lists the policies left', 'GET', policies);
}
