#!/usr/bin/python3
"""
A packet prober that lives in one instance namespace for a whole test
(spawning a process per packet costs 20-50 ms; thousands of packets need one
process). It crafts whole Ethernet frames and sends them with an AF_PACKET
socket, so any source address goes out (spoofed, external, a VIP) with no
route or ARP needed, and it sniffs its interface with a second AF_PACKET
socket for the probes it receives. Every probe carries MAGIC and a 64-bit
marker right after its layer-4 header.

    packet-probe.py IFACE MAC IP

Commands, one JSON object per line on stdin, each answered by one line on stdout:
    {"cmd": "send", "start": UNIX_TIME, "packets": [PACKET, ...]}
        sends each packet at start + its "at" (seconds), answers {"sent": N, "errors": [...], "lateMs": MAX}
        PACKET: {"id", "at", "dmac", "src", "dst", "proto", "sport", "dport", "icmpType", "icmpCode", "icmpId"}
    {"cmd": "collect"}
        answers {"seen": [marker, ...]}: the probes received since the last collect (its own sent frames excluded)
It prints {"ready": true} once both sockets are bound; EOF on stdin ends it.
"""
import json
import random
import socket
import struct
import sys
import threading
import time

MAGIC = b'PSPROBE1'
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4
TCP, UDP, ICMP = 6, 17, 1


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def mac_bytes(text):
    return bytes.fromhex(text.replace(':', ''))


def with_checksum(segment, offset, value):
    return segment[:offset] + struct.pack('!H', value) + segment[offset + 2:]


def layer4(p, src, dst):
    """The IP payload: the protocol's header (TCP SYN, UDP, ICMP) or none, then MAGIC and the marker."""
    marker = MAGIC + struct.pack('!Q', p['id'])
    proto = p['proto']
    pseudo = lambda length: src + dst + struct.pack('!BBH', 0, proto, length)
    if proto == TCP:
        # a lone SYN: the first packet of a new connection, which conntrack tracks as NEW
        seg = struct.pack('!HHIIBBHHH', p['sport'], p['dport'], random.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0) + marker
        return with_checksum(seg, 16, checksum(pseudo(len(seg)) + seg))
    if proto == UDP:
        seg = struct.pack('!HHHH', p['sport'], p['dport'], 8 + len(marker), 0) + marker
        return with_checksum(seg, 6, checksum(pseudo(len(seg)) + seg) or 0xffff)
    if proto == ICMP:
        seg = struct.pack('!BBHHH', p['icmpType'], p['icmpCode'], 0, p['icmpId'], 1) + marker
        return with_checksum(seg, 2, checksum(seg))
    return marker


def frame(own_mac, p, ident):
    src, dst = socket.inet_aton(p['src']), socket.inet_aton(p['dst'])
    payload = layer4(p, src, dst)
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, 64, p['proto'], 0, src, dst)
    header = with_checksum(header, 10, checksum(header))
    return mac_bytes(p['dmac']) + own_mac + struct.pack('!H', ETH_P_IP) + header + payload


def gratuitous_arp(own_mac, ip):
    """Teaches every bridge on the way where this MAC lives, so probes are not flooded to every port."""
    addr = socket.inet_aton(ip)
    arp = struct.pack('!HHBBH6s4s6s4s', 1, ETH_P_IP, 6, 4, 1, own_mac, addr, b'\0' * 6, addr)
    return b'\xff' * 6 + own_mac + struct.pack('!H', ETH_P_ARP) + arp


def marker_of(data):
    """The marker of a probe frame, or None (ICMP errors quoting a probe do not start with MAGIC)."""
    if len(data) < 34 or data[12:14] != b'\x08\x00':
        return None
    ip = data[14:]
    ihl = (ip[0] & 0x0f) * 4
    proto = ip[9]
    l4 = {TCP: (ip[ihl + 12] >> 4) * 4 if len(ip) > ihl + 12 else 20, UDP: 8, ICMP: 8}.get(proto, 0)
    body = ip[ihl + l4:ihl + l4 + 16]
    if len(body) < 16 or body[:8] != MAGIC:
        return None
    return struct.unpack('!Q', body[8:])[0]


class Sniffer(threading.Thread):
    def __init__(self, iface):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        # SO_RCVBUFFORCE (33): a burst must never overflow the socket
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
        self.sock.bind((iface, ETH_P_IP))
        self.lock = threading.Lock()
        self.seen = []

    def run(self):
        while True:
            data, addr = self.sock.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            m = marker_of(data)
            if m is not None:
                with self.lock:
                    self.seen.append(m)

    def take(self):
        with self.lock:
            seen, self.seen = self.seen, []
        return seen


def send(sock, own_mac, start, packets):
    errors, late = [], 0.0
    for i, p in enumerate(packets):
        delay = start + p['at'] - time.time()
        if delay > 0:
            time.sleep(delay)
        else:
            late = max(late, -delay)
        try:
            sock.send(frame(own_mac, p, i & 0xffff))
        except OSError as e:
            errors.append('%d: %s' % (p['id'], e))
    return {'sent': len(packets) - len(errors), 'errors': errors[:10], 'lateMs': round(late * 1000, 1)}


def main():
    iface, mac, ip = sys.argv[1:4]
    own_mac = mac_bytes(mac)
    sniffer = Sniffer(iface)
    sniffer.start()
    sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sender.bind((iface, 0))
    sender.send(gratuitous_arp(own_mac, ip))
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd['cmd'] == 'send':
            answer = send(sender, own_mac, cmd['start'], cmd['packets'])
        elif cmd['cmd'] == 'collect':
            answer = {'seen': sniffer.take()}
        else:
            answer = {'error': 'unknown command %s' % cmd['cmd']}
        print(json.dumps(answer), flush=True)


if __name__ == '__main__':
    main()
