"""Start moto's server with two corrections that make it faithful enough for the lab.

1. moto gives an interface endpoint's ENI a random 10.x address outside its subnet
   (it calls random_private_ip() without a CIDR). AWS draws it from the subnet, and the lab
   needs that: the endpoints namespace must own an address in the endpoint subnet.
2. moto creates every endpoint `available`. AWS has pendingAcceptance, failed, rejected...;
   the lab marks an endpoint with the tag `vpce-doctor-lab:state` to get that state.

Usage: python3 moto_launcher.py -H HOST -p PORT   (the arguments of moto_server)
"""
import ipaddress
import random
import sys

import moto.ec2.models.elastic_network_interfaces as enis
import moto.ec2.models.vpcs as vpcs
from moto.server import main

_original_create_eni = enis.NetworkInterfaceBackend.create_network_interface
_used: dict[str, set[str]] = {}


def _create_network_interface(self, subnet, private_ip_address, *args, **kwargs):
    subnet_obj = self.get_subnet(subnet) if isinstance(subnet, str) else subnet
    if isinstance(private_ip_address, str) and private_ip_address.startswith("lab-auto:"):
        net = ipaddress.IPv4Network(subnet_obj.cidr_block)
        taken = _used.setdefault(subnet_obj.id, set())
        # AWS reserves the first four addresses and the last one of every subnet.
        while True:
            ip = str(net.network_address + random.randint(10, net.num_addresses - 2))
            if ip not in taken:
                taken.add(ip)
                break
        private_ip_address = ip
    return _original_create_eni(self, subnet, private_ip_address, *args, **kwargs)


enis.NetworkInterfaceBackend.create_network_interface = _create_network_interface
vpcs.random_private_ip = lambda cidr=None, ipv6=False: "lab-auto:"

_original_endpoint_init = vpcs.VPCEndPoint.__init__


def _endpoint_init(self, *args, **kwargs):
    _original_endpoint_init(self, *args, **kwargs)
    tags = kwargs.get("tags") or {}
    state = tags.get("vpce-doctor-lab:state") if isinstance(tags, dict) else None
    if state:
        self.state = state


vpcs.VPCEndPoint.__init__ = _endpoint_init

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
