#!/bin/bash
# NAT instance bootstrap (rendered by the network module): forward and
# masquerade the VPC's traffic, then turn off this instance's
# source/destination check, without which EC2 drops forwarded packets.
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

token=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
aws ec2 modify-instance-attribute --region "${region}" --instance-id "$instance_id" --no-source-dest-check
