"""Start moto's server with the corrections that make it faithful enough for the lab.

1. moto gives an interface endpoint's ENI a random 10.x address outside its subnet
   (it calls random_private_ip() without a CIDR). AWS draws it from the subnet, and the lab
   needs that: the endpoints namespace must own an address in the endpoint subnet.
2. moto creates every endpoint `available`. AWS has pendingAcceptance, failed, rejected...;
   the lab marks an endpoint with the tag `vpce-doctor-lab:state` to get that state.
3. moto drops `DnsOptions` and `IpAddressType` (describe returns none). AWS reports
   `IpAddressType: ipv4` and `DnsOptions.DnsRecordIpType: ipv4` on an IPv4 interface endpoint, and
   on an S3 interface endpoint with private DNS also `PrivateDnsOnlyForInboundResolverEndpoint`;
   the lab sets that one with the tag `vpce-doctor-lab:private-dns-only-for-inbound-resolver-endpoint`
   (`true` / `false`). IPv6 scenarios set `IpAddressType` and `DnsRecordIpType` with the tags
   `vpce-doctor-lab:ip-address-type` and `vpce-doctor-lab:dns-record-ip-type`, and an
   Amazon-provided VPC IPv6 block is always the unique-local fd10::/56 (moto draws 2400:6500:…);
   a subnet's Ipv6CidrBlockState.State is `associated` (moto printed a nested dict there).
4. moto's DnsEntries are `vpce-ID-RAND.com.amazonaws.REGION.SERVICE`; AWS's are the regional
   `vpce-ID-RAND.LABEL.REGION.vpce.amazonaws.com`, one per AZ
   (`vpce-ID-RAND-AZ.LABEL.REGION.vpce.amazonaws.com`) and, with private DNS on, the service's
   private name (LABEL is the service's DNS label: `api.ecr` for ecr.api, `firehose` for
   kinesis-firehose).
5. moto reports `PrivateDnsEnabled: true` on gateway endpoints; AWS reports false.
6. moto stores a static transit gateway route's attachment as one object, which its serializer
   drops (`TransitGatewayAttachments: []`); AWS returns a list. And its SearchTransitGatewayRoutes
   filters only on type, state and route-search.exact-match; AWS also has
   route-search.longest-prefix-match, route-search.subnet-of-match, route-search.supernet-of-match,
   attachment.transit-gateway-attachment-id and attachment.resource-id, which the lab adds here.
7. moto associates every new TGW attachment with the gateway's default route table even when
   DefaultRouteTableAssociation is `disable` (AWS does not), so after AssociateTransitGatewayRouteTable
   an attachment sat in two tables; and DescribeTransitGatewayAttachments' `Association` always named
   the default table. Here an attachment of such a gateway starts unassociated, and `Association` is
   the table it was associated with. (moto still makes a default table for every gateway; with
   association off it simply has no associations.)

Usage: python3 moto_launcher.py -H HOST -p PORT   (the arguments of moto_server)
"""
import ipaddress
import random
import string
import sys

import moto.ec2.models.elastic_network_interfaces as enis
import moto.ec2.models.subnets as subnets
import moto.ec2.models.transit_gateway_attachments as tgw_attachments
import moto.ec2.models.transit_gateway_route_tables as tgw_tables
import moto.ec2.models.vpcs as vpcs
from moto.server import main

_original_create_eni = enis.NetworkInterfaceBackend.create_network_interface
_used: dict[str, set[str]] = {}


def _create_network_interface(self, subnet, private_ip_address, *args, **kwargs):
    subnet_obj = self.get_subnet(subnet) if isinstance(subnet, str) else subnet
    taken = _used.setdefault(subnet_obj.id, set())
    if isinstance(private_ip_address, str) and private_ip_address.startswith("lab-auto:"):
        net = ipaddress.IPv4Network(subnet_obj.cidr_block)
        # AWS reserves the first four addresses and the last one of every subnet; the lab keeps
        # .5-.19 for the addresses it names itself (the agents are .10), so an endpoint ENI in
        # an agent subnet never takes the agent's address.
        while True:
            ip = str(net.network_address + random.randint(20, net.num_addresses - 2))
            if ip not in taken:
                taken.add(ip)
                break
        private_ip_address = ip
    elif isinstance(private_ip_address, str):
        taken.add(private_ip_address)
    return _original_create_eni(self, subnet, private_ip_address, *args, **kwargs)


enis.NetworkInterfaceBackend.create_network_interface = _create_network_interface
vpcs.random_private_ip = lambda cidr=None, ipv6=False: "lab-auto:"

# The DNS label of a service where it is not the service's short name (AWS's PrivateDnsName).
_DNS_LABELS = {
    "ecr.api": "api.ecr",
    "ecr.dkr": "dkr.ecr",
    "kinesis-firehose": "firehose",
    "kinesis-streams": "kinesis",
}
# The private names of a service, as prefixes of REGION.amazonaws.com (default: its DNS label).
_PRIVATE_NAMES = {"ecr.dkr": ["*.dkr.ecr"], "s3": ["s3", "*.s3"]}

_INBOUND_ONLY_TAG = "vpce-doctor-lab:private-dns-only-for-inbound-resolver-endpoint"


def _service_parts(service_name: str) -> tuple[str, str]:
    """(region, short name) of com.amazonaws.REGION.SHORT (or of an endpoint service); ("", "") otherwise."""
    parts = service_name.split(".")
    if len(parts) < 4 or parts[0] != "com" or parts[1] != "amazonaws":
        return "", ""
    if parts[2] == "vpce":  # an endpoint service: com.amazonaws.vpce.REGION.vpce-svc-ID
        return parts[3], ".".join(parts[4:])
    return parts[2], ".".join(parts[3:])


def _aws_dns_entries(endpoint) -> list[dict[str, str]]:
    region, short = _service_parts(endpoint.service_name)
    if not region:
        return endpoint.dns_entries or []
    label = _DNS_LABELS.get(short, short)
    suffix = f"{label}.{region}.vpce.amazonaws.com"
    rand = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    zone = "Z7HUB22UULQXV"
    entries = [{"dns_name": f"{endpoint.id}-{rand}.{suffix}", "hosted_zone_id": zone}]
    zones = []
    for subnet_id in endpoint.subnet_ids or []:
        try:
            zones.append(endpoint.ec2_backend.get_subnet(subnet_id).availability_zone)
        except Exception:  # noqa: BLE001 - a subnet moto cannot find keeps moto's own behaviour
            pass
    for az in zones:
        entries.append({"dns_name": f"{endpoint.id}-{rand}-{az}.{suffix}", "hosted_zone_id": zone})
    if endpoint.private_dns_enabled:
        for name in _PRIVATE_NAMES.get(short, [label]):
            entries.append({"dns_name": f"{name}.{region}.amazonaws.com", "hosted_zone_id": "ZONEIDPRIVATE"})
    return entries


_original_endpoint_init = vpcs.VPCEndPoint.__init__


def _endpoint_init(self, *args, **kwargs):
    _original_endpoint_init(self, *args, **kwargs)
    tags = kwargs.get("tags") or {}
    tags = tags if isinstance(tags, dict) else {}
    state = tags.get("vpce-doctor-lab:state")
    if state:
        self.state = state
    if (self.vpc_endpoint_type or "").lower() == "interface":
        # IPv6 scenarios set both through tags (moto drops the request's IpAddressType and DnsOptions).
        self.ip_address_type = tags.get("vpce-doctor-lab:ip-address-type", "ipv4")
        options = {"DnsRecordIpType": tags.get("vpce-doctor-lab:dns-record-ip-type", "ipv4")}
        inbound_only = tags.get(_INBOUND_ONLY_TAG)
        if inbound_only in ("true", "false"):
            options["PrivateDnsOnlyForInboundResolverEndpoint"] = inbound_only == "true"
        self.dns_options = options
        self.dns_entries = _aws_dns_entries(self)
    else:
        self.private_dns_enabled = False


vpcs.VPCEndPoint.__init__ = _endpoint_init
# An "Amazon-provided" IPv6 block is the lab's unique-local fd10::/56 (moto draws a global-looking
# 2400:6500:… one): the lab's namespaces only ever hold addresses of this block (test/lab/ipv6.ts).
vpcs.random_ipv6_cidr = lambda: "fd10::/56"


def _subnet_ipv6_associations(self):
    # moto nests the state dict inside another (State "{'State': 'associated'}"); AWS says "associated".
    return [
        {
            "ipv6CidrBlock": a["ipv6CidrBlock"],
            "associationId": a["associationId"],
            "ipv6CidrBlockState": {"state": a["ipv6CidrBlockState"]["State"]},
        }
        for a in self.ipv6_cidr_block_associations.values()
        if a["ipv6CidrBlockState"]["State"] == "associated"
    ]


subnets.Subnet.ipv6_cidr_block_association_set = property(_subnet_ipv6_associations)

_original_create_tgw_route = tgw_tables.TransitGatewayRouteTableBackend.create_transit_gateway_route


def _create_transit_gateway_route(self, *args, **kwargs):
    route = _original_create_tgw_route(self, *args, **kwargs)
    attachment = route.get("transitGatewayAttachments")
    if isinstance(attachment, dict):
        route["transitGatewayAttachments"] = [attachment]
    return route


def _route_matches(route, name, values) -> bool:
    cidr = route.get("destinationCidrBlock")
    attachments = route.get("transitGatewayAttachments") or []
    if name == "type":
        return route.get("type") in values
    if name == "state":
        return route.get("state") in values
    if name == "attachment.transit-gateway-attachment-id":
        return any(a.get("transitGatewayAttachmentId") in values for a in attachments)
    if name == "attachment.resource-id":
        return any(a.get("resourceId") in values for a in attachments)
    if not cidr:
        return False
    net = ipaddress.ip_network(cidr, strict=False)
    wanted = [ipaddress.ip_network(v, strict=False) for v in values]
    if name == "route-search.exact-match":
        return net in wanted
    if name == "route-search.subnet-of-match":
        return any(net.version == w.version and net.subnet_of(w) for w in wanted)
    if name in ("route-search.supernet-of-match", "route-search.longest-prefix-match"):
        # the routes that contain the CIDR; longest-prefix-match keeps the longest of them below
        return any(net.version == w.version and w.subnet_of(net) for w in wanted)
    return True


def _search_transit_gateway_routes(self, transit_gateway_route_table_id, filters, max_results=None):
    table = self.transit_gateways_route_tables.get(transit_gateway_route_table_id)
    if not table:
        return []
    routes = [
        r for r in table.routes.values() if all(_route_matches(r, k, v) for k, v in (filters or {}).items() if v)
    ]
    longest = (filters or {}).get("route-search.longest-prefix-match")
    if longest and routes:
        best = max(ipaddress.ip_network(r["destinationCidrBlock"], strict=False).prefixlen for r in routes)
        routes = [r for r in routes if ipaddress.ip_network(r["destinationCidrBlock"], strict=False).prefixlen == best]
    return routes[: int(max_results)] if max_results else routes


def _default_association_off(backend, transit_gateway_id) -> bool:
    gateway = backend.transit_gateways.get(transit_gateway_id)
    return gateway is not None and gateway.options.get("DefaultRouteTableAssociation") == "disable"


def _attachment_association(self):
    data = self._association_data
    if data:
        return {"State": data.get("state", "associated"), "TransitGatewayRouteTableId": data["transitGatewayRouteTableId"]}
    if _default_association_off(self.ec2_backend, self.transit_gateway_id):
        return None
    if self.state == "available" and self.transit_gateway_route_table:
        return {"State": "associated", "TransitGatewayRouteTableId": self.transit_gateway_route_table.id}
    return None


_original_create_vpc_attachment = tgw_attachments.TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment


def _create_transit_gateway_vpc_attachment(self, *args, **kwargs):
    attachment = _original_create_vpc_attachment(self, *args, **kwargs)
    if _default_association_off(self, attachment.transit_gateway_id) and attachment.transit_gateway_route_table:
        self.unset_route_table_association(attachment.transit_gateway_route_table.id, attachment.id)
        attachment.transit_gateway_route_table = None
    return attachment


tgw_attachments.TransitGatewayAttachment.association = property(_attachment_association)
tgw_attachments.TransitGatewayAttachmentBackend.create_transit_gateway_vpc_attachment = (
    _create_transit_gateway_vpc_attachment
)
tgw_tables.TransitGatewayRouteTableBackend.create_transit_gateway_route = _create_transit_gateway_route
tgw_tables.TransitGatewayRouteTableBackend.search_transit_gateway_routes = _search_transit_gateway_routes

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
