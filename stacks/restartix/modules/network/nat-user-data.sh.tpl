#!/bin/bash
# NAT instance bootstrap (rendered by the network module): forward and
# masquerade the VPC's traffic (the module turns the instance's
# source/destination check off, without which EC2 drops forwarded packets).
set -euo pipefail

dnf install -y iptables-services
echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
sysctl --system

iface=$(ip route show default | awk '{print $5; exit}')
iptables -t nat -A POSTROUTING -o "$iface" -s "${vpc_cidr}" -j MASQUERADE
iptables -P FORWARD ACCEPT
iptables -F FORWARD
service iptables save
systemctl enable --now iptables

