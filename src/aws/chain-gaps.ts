// The gaps of the hub-and-spoke chain (issue 15), each with the name of the part it cost, for
// the report's gap findings and `inventory.gaps`.
import type { ChainInventory, Gap, Part } from '../model.js';

export function chainGaps(chain: ChainInventory | undefined): Array<{ part: string; gap: Gap }> {
  if (!chain) return [];
  const out: Array<{ part: string; gap: Gap }> = [];
  const add = (part: string, value: Part<unknown> | undefined) => {
    if (value && !value.ok) out.push({ part, gap: value.gap });
  };
  add('hostedZones', chain.associatedZones);
  if (chain.associatedZones.ok)
    for (const zone of chain.associatedZones.value) add('zoneRecords', zone.records);
  add('accountZones', chain.accountZones);
  add('resolverRules', chain.resolverRules);
  add('ruleAssociations', chain.ruleAssociations);
  add('transitGatewayAttachments', chain.transitGatewayAttachments);
  add('peeringConnections', chain.peeringConnections);
  for (const tgw of chain.transitGateways) {
    add('transitGatewayTables', tgw.attachments);
    for (const table of tgw.tables) add('transitGatewayTables', table.routes);
  }
  add('hub', chain.hub.session);
  add('hubEndpoints', chain.hub.endpoints);
  add('hubEndpoints', chain.hub.endpointInterfaces);
  add('hubSecurityGroups', chain.hub.securityGroups);
  add('hubZones', chain.hub.zones);
  return out;
}
