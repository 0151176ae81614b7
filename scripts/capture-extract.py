#!/usr/bin/env python3
"""capture-extract.py: turn a pcap of BGP sessions into the codec's fixture files.

    python3 scripts/capture-extract.py PAIR.pcap [...]

For each PAIR.pcap it writes, beside it:
  PAIR.hex           one complete BGP message per line, lowercase hex, marker included, in capture order.
                     Reassembled here from the TCP segments by sequence number (retransmissions and overlaps
                     dropped, out-of-order segments held back), then cut by the BGP length field, so messages
                     split across segments and several messages packed in one segment both come out whole.
  PAIR.tshark.jsonl  one JSON object per line, line i describing the message on line i of PAIR.hex, distilled
                     from tshark's own decode of the same pcap (tshark -T json, with its own TCP reassembly).
Checks before writing (any failure exits non-zero and writes nothing): tshark finds exactly the same number
of messages in every frame as this reassembly does, and tshark's bytes for each message (bgp_raw) equal ours.
Only the standard library and tshark are used. The format is described in test/fixtures/captures/README.md.
"""
import json
import os
import subprocess
import sys

TSHARK_PREFS = ["-o", "bgp.asn_len:4 octet", "-o", "bgp.desegment:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE"]
TYPES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
ORIGINS = {0: "igp", 1: "egp", 2: "incomplete"}
SEGMENT_TYPES = {1: "set", 2: "sequence", 3: "confed-sequence", 4: "confed-set"}
MARKER = b"\xff" * 16


def tshark(args):
    res = subprocess.run(["tshark", "-n"] + args, capture_output=True, check=False)
    if res.returncode != 0:
        sys.exit("tshark failed: %s" % res.stderr.decode(errors="replace"))
    return res.stdout.decode()


# ------------------------------------------------------------------ our reassembly

def reassemble(pcap):
    """Return [(frame, first frame, src, dst, bytes)] for every complete BGP message, in completion order."""
    out = tshark(["-r", pcap, "-o", "tcp.desegment_tcp_streams:FALSE", "-Y", "tcp", "-T", "fields",
                  "-E", "separator=\t", "-e", "frame.number", "-e", "ip.src", "-e", "tcp.srcport",
                  "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.flags.syn",
                  "-e", "tcp.flags.fin", "-e", "tcp.flags.reset", "-e", "tcp.len", "-e", "tcp.payload"])
    flows = {}  # (src, sport, dst, dport) -> {"next": seq, "buf": bytearray, "held": {seq: bytes}}
    messages = []
    for line in out.splitlines():
        f = line.split("\t")
        frame, src, sport, dst, dport, seq, syn, fin, rst, tlen = f[:10]
        payload = bytes.fromhex(f[10].replace(":", "")) if len(f) > 10 and f[10] else b""
        key = (src, sport, dst, dport)
        seq = int(seq)
        if syn in ("1", "True"):
            flows[key] = {"next": (seq + 1) & 0xFFFFFFFF, "buf": bytearray(), "held": {}, "start": 0, "chunks": []}
            continue
        if not payload:
            continue
        flow = flows.get(key)
        if flow is None:
            sys.exit("%s: frame %s: data on a connection whose SYN was not captured" % (pcap, frame))
        flow["held"][seq] = payload
        progressed = True
        while progressed:  # take every held segment that now starts at or before the next expected byte
            progressed = False
            for s in sorted(flow["held"]):
                data = flow["held"][s]
                off = (flow["next"] - s) & 0xFFFFFFFF
                if off >= 0x80000000:
                    continue  # still a gap before this segment
                del flow["held"][s]
                if off < len(data):
                    flow["buf"] += data[off:]
                    flow["chunks"].append((flow["start"] + len(flow["buf"]), int(frame)))
                    flow["next"] = (flow["next"] + len(data) - off) & 0xFFFFFFFF
                progressed = True
        buf = flow["buf"]
        while len(buf) >= 19:
            if buf[:16] != MARKER:
                sys.exit("%s: frame %s: stream %s lost BGP framing" % (pcap, frame, key))
            mlen = int.from_bytes(buf[16:18], "big")
            if mlen < 19:
                sys.exit("%s: frame %s: BGP length %d" % (pcap, frame, mlen))
            if len(buf) < mlen:
                break
            # the frame that carried this message's first byte (differs when it spans segments)
            begun = next(fr for end, fr in flow["chunks"] if end > flow["start"])
            messages.append((int(frame), begun, src, dst, bytes(buf[:mlen])))
            del buf[:mlen]
            flow["start"] += mlen
            flow["chunks"] = [c for c in flow["chunks"] if c[0] > flow["start"]]
    for key, flow in flows.items():
        if flow["buf"] or flow["held"]:
            sys.exit("%s: stream %s ends with %d bytes of an incomplete message" % (pcap, key, len(flow["buf"])))
    return messages


# ------------------------------------------------------------------ tshark's decode, distilled

def values(obj, key):
    """All values of key anywhere under obj, in document order, lists flattened."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key:
                found.extend(v if isinstance(v, list) else [v])
            elif isinstance(v, (dict, list)):
                found.extend(values(v, key))
    elif isinstance(obj, list):
        for x in obj:
            found.extend(values(x, key))
    return found


def first(obj, key, conv=str):
    v = values(obj, key)
    return conv(v[0]) if v else None


def dicts_with(obj, key):
    """Every dict under obj (obj included) that has key, in document order, not descending into matches."""
    found = []
    if isinstance(obj, dict):
        if key in obj:
            return [obj]
        for v in obj.values():
            found.extend(dicts_with(v, key))
    elif isinstance(obj, list):
        for x in obj:
            found.extend(dicts_with(x, key))
    return found


def raw_hex(obj, key):
    """The hex bytes tshark recorded for field key (needs tshark -x), one string per occurrence."""
    out = []

    def walk(v):  # each occurrence is [hex, pos, len, mask, type]; several are a list of those
        if isinstance(v, list) and v and isinstance(v[0], str):
            out.append(v[0])
        elif isinstance(v, list):
            for x in v:
                walk(x)

    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key + "_raw":
                walk(v)
            elif isinstance(v, (dict, list)):
                out.extend(raw_hex(v, key))
    elif isinstance(obj, list):
        for x in obj:
            out.extend(raw_hex(x, key))
    return out


def prefixes(obj, prefix_key):
    """[(prefix text, path id or None)] for every prefix entry tshark shows under obj."""
    out = []
    for d in dicts_with(obj, "bgp.prefix_length"):
        addrs = values(d, prefix_key)
        if not addrs:
            continue
        lens = values(d, "bgp.prefix_length")
        ids = values(d, "bgp.nlri_path_id")
        for i, addr in enumerate(addrs):
            out.append(("%s/%s" % (addr, lens[i]), int(ids[i]) if i < len(ids) else None))
    return out


def put_prefixes(target, name, items):
    target[name] = [p for p, _ in items]
    if any(i is not None for _, i in items):
        target[name + "PathIds"] = [i for _, i in items]


def capability(c):
    code = int(c["bgp.cap.type"])
    cap = {"code": code, "length": int(c.get("bgp.cap.length", 0))}
    if code == 1:
        cap.update(afi=first(c, "bgp.cap.mp.afi", int), safi=first(c, "bgp.cap.mp.safi", int))
    elif code == 65:
        cap["asn"] = first(c, "bgp.cap.4as", int)
    elif code == 69:
        cap["families"] = [{"afi": int(a), "safi": int(s), "sendReceive": int(sr)} for a, s, sr in zip(
            values(c, "bgp.cap.ap.afi"), values(c, "bgp.cap.ap.safi"), values(c, "bgp.cap.ap.sendreceive"))]
    elif code == 64:
        cap["restartFlag"] = first(c, "bgp.cap.gr.timers.restart_flag", int)
        cap["notificationFlag"] = first(c, "bgp.cap.gr.timers.notification_flag", int)
        cap["restartTime"] = first(c, "bgp.cap.gr.timers.restart_time", int)
        cap["families"] = [{"afi": int(a), "safi": int(s), "forwardingState": int(f)} for a, s, f in zip(
            values(c, "bgp.cap.gr.afi"), values(c, "bgp.cap.gr.safi"), values(c, "bgp.cap.gr.flag.pfs"))]
    elif code == 73:
        cap["hostname"] = first(c, "bgp.cap.orf.fqdn.hostname")
        cap["domainName"] = first(c, "bgp.cap.orf.fqdn.domain_name")
    elif code == 5:
        cap["families"] = [{"afi": int(a), "safi": int(s), "nextHopAfi": int(n)} for a, s, n in zip(
            values(c, "bgp.cap.enh.afi"), values(c, "bgp.cap.enh.safi"), values(c, "bgp.cap.enh.nhafi"))]
    unknown = values(c, "bgp.cap.unknown")
    if unknown:
        cap["value"] = unknown[0].replace(":", "")
    return cap


def chunks(hexstr, n):
    return [hexstr[i:i + n] for i in range(0, len(hexstr), n)]


def attribute(a, attrs, msg):
    code = int(a["bgp.update.path_attribute.type_code"])
    flags = int(a["bgp.update.path_attribute.flags"], 16)
    attrs["typeCodes"].append(code)
    attrs["flags"].append(flags)
    P = "bgp.update.path_attribute."
    if code == 1:
        attrs["origin"] = ORIGINS.get(first(a, P + "origin", int), first(a, P + "origin"))
    elif code in (2, 17):
        segs = []
        for s in dicts_with(a, P + "as_path_segment.type"):
            asns = values(s, P + "as_path_segment.as4") or values(s, P + "as_path_segment.as2")
            t = int(s[P + "as_path_segment.type"])
            segs.append({"type": SEGMENT_TYPES.get(t, t), "asns": [int(x) for x in asns]})
        attrs["asPath" if code == 2 else "as4Path"] = segs
    elif code == 3:
        attrs["nextHop"] = first(a, P + "next_hop")
    elif code == 4:
        attrs["med"] = first(a, P + "multi_exit_disc", int)
    elif code == 5:
        attrs["localPref"] = first(a, P + "local_pref", int)
    elif code == 6:
        attrs["atomicAggregate"] = True
    elif code in (7, 18):
        asn = first(a, P + "aggregator_as", int)
        if asn is None:
            asn = first(a, P + "as4_aggregator_as", int)
        addr = first(a, P + "aggregator_origin") or first(a, P + "as4_aggregator_origin")
        attrs["aggregator" if code == 7 else "as4Aggregator"] = {"asn": asn, "address": addr}
    elif code == 8:
        whole = raw_hex(a, P + "communities")
        comms = ["%d:%d" % (int(c[:4], 16), int(c[4:], 16)) for c in chunks(whole[0], 8)] if whole else []
        # cross-check against tshark's itemised decode (regular entries + well-known ones)
        n = len(values(a, P + "community_as")) + len(values(a, P + "community_wellknown"))
        if n != len(comms):
            msg.setdefault("notes", []).append("tshark itemised %d communities, value holds %d" % (n, len(comms)))
        attrs["communities"] = comms
    elif code == 9:
        attrs["originatorId"] = first(a, P + "originator_id")
    elif code == 10:
        attrs["clusterList"] = values(a, "bgp.path_attribute.cluster_id")
    elif code == 14:
        afi, safi = first(a, P + "mp_reach_nlri.afi", int), first(a, P + "mp_reach_nlri.safi", int)
        hops = values(a, P + "mp_reach_nlri.next_hop.ipv6") + values(a, P + "mp_reach_nlri.next_hop.ipv6.link_local")
        hops += values(a, P + "mp_reach_nlri.next_hop.ipv4")
        mp = {"afi": afi, "safi": safi, "nextHops": hops}
        key = "bgp.mp_reach_nlri_ipv6_prefix" if afi == 2 else "bgp.mp_reach_nlri_ipv4_prefix"
        put_prefixes(mp, "nlri", prefixes(a, key))
        attrs["mpReach"] = mp
    elif code == 15:
        afi, safi = first(a, P + "mp_unreach_nlri.afi", int), first(a, P + "mp_unreach_nlri.safi", int)
        mp = {"afi": afi, "safi": safi}
        key = "bgp.mp_unreach_nlri_ipv6_prefix" if afi == 2 else "bgp.mp_unreach_nlri_ipv4_prefix"
        put_prefixes(mp, "withdrawn", prefixes(a, key))
        attrs["mpUnreach"] = mp
    elif code == 16:
        attrs["extendedCommunities"] = raw_hex(a, "bgp.ext_community")
    elif code == 26:
        attrs["aigp"] = {"type": first(a, "bgp.update.attribute.aigp.type", int),
                         "metric": first(a, "bgp.update.attribute.aigp.accu_igp_metric", int)}
    elif code == 32:
        attrs["largeCommunities"] = ["%s:%s:%s" % t for t in zip(
            values(a, "bgp.large_communities.ga"), values(a, "bgp.large_communities.ldp1"),
            values(a, "bgp.large_communities.ldp2"))]
    else:
        attrs.setdefault("other", []).append(code)  # not distilled: the code is kept in typeCodes too


def distill(m, raw):
    t = int(m["bgp.type"])
    msg = {"type": TYPES.get(t, t), "length": int(m["bgp.length"])}
    if t == 1:
        msg.update(version=first(m, "bgp.open.version", int), myAs=first(m, "bgp.open.myas", int),
                   holdTime=first(m, "bgp.open.holdtime", int), bgpId=first(m, "bgp.open.identifier"))
        caps = [capability(c) for c in dicts_with(m, "bgp.cap.type")]
        four = [c["asn"] for c in caps if c["code"] == 65]
        msg["asn"] = four[0] if four else msg["myAs"]
        msg["capabilities"] = caps
    elif t == 2:
        put_prefixes(msg, "withdrawn", prefixes(m.get("bgp.update.withdrawn_routes", {}), "bgp.withdrawn_prefix"))
        attrs = {"typeCodes": [], "flags": []}
        for a in dicts_with(m.get("bgp.update.path_attributes", {}), "bgp.update.path_attribute.type_code"):
            attribute(a, attrs, msg)
        msg["attributes"] = attrs
        put_prefixes(msg, "nlri", prefixes(m.get("bgp.update.nlri", {}), "bgp.nlri_prefix"))
        wlen = int(m.get("bgp.update.withdrawn_routes.length", "0"))
        alen = int(m.get("bgp.update.path_attributes.length", "0"))
        if wlen == 0 and alen == 0 and not msg["nlri"]:
            msg["endOfRib"] = {"afi": 1, "safi": 1}
        elif (wlen == 0 and not msg["nlri"] and attrs["typeCodes"] == [15]
              and not attrs["mpUnreach"].get("withdrawn")):
            msg["endOfRib"] = {"afi": attrs["mpUnreach"]["afi"], "safi": attrs["mpUnreach"]["safi"]}
    elif t == 3:
        code = first(m, "bgp.notify.major_error", int)
        sub = None
        for k, v in m.items():
            if k.startswith("bgp.notify.minor_") and not k.endswith("_raw"):
                sub = int(v)
        msg.update(code=code, subcode=sub)
        msg["data"] = raw[42:]  # the bytes after code and subcode, from tshark's copy of the message
        comm = values(m, "bgp.notify.communication")
        if comm:
            msg["shutdownMessage"] = comm[0]
    elif t == 5:
        msg.update(afi=first(m, "bgp.route_refresh.afi", int), safi=first(m, "bgp.route_refresh.safi", int),
                   subtype=first(m, "bgp.route_refresh.subtype", int))
    expert = values(m, "_ws.expert.message")
    if expert:
        msg["tsharkExpert"] = expert
    return msg


def session(sender_caps, receiver_caps):
    """What the receiver of an UPDATE must know to decode it, from the last OPEN each side sent."""
    def fams(caps, bit):
        return {(f["afi"], f["safi"]) for c in caps if c["code"] == 69 for f in c["families"] if f["sendReceive"] & bit}
    as4 = any(c["code"] == 65 for c in sender_caps) and any(c["code"] == 65 for c in receiver_caps)
    return {"asn4": as4, "addPath": sorted([a, s] for a, s in fams(sender_caps, 2) & fams(receiver_caps, 1))}


def check_add_path(pcap, d):
    """tshark guesses ADD-PATH per prefix; make sure its guess agrees with the negotiated capabilities."""
    ap = {tuple(f) for f in d["session"]["addPath"]}
    parts = [((1, 1), d, "nlri"), ((1, 1), d, "withdrawn")]
    for k, n in (("mpReach", "nlri"), ("mpUnreach", "withdrawn")):
        mp = d["attributes"].get(k)
        if mp:
            parts.append(((mp["afi"], mp["safi"]), mp, n))
    for fam, obj, name in parts:
        if obj.get(name) and ((name + "PathIds") in obj) != (fam in ap):
            sys.exit("%s: message %d: tshark's ADD-PATH reading of %s disagrees with the OPENs" % (pcap, d["index"], name))


def tshark_messages(pcap):
    """[(frame, [bgp message dict], [raw hex])] from tshark's JSON decode."""
    doc = json.loads(tshark(["-r", pcap] + TSHARK_PREFS + ["-Y", "bgp", "-T", "json", "--no-duplicate-keys", "-x"]))
    out = []
    for pkt in doc:
        layers = pkt["_source"]["layers"]
        frame = int(layers["frame"]["frame.number"])
        msgs = layers["bgp"] if isinstance(layers["bgp"], list) else [layers["bgp"]]
        raws = layers.get("bgp_raw", [])
        if raws and not isinstance(raws[0], list):
            raws = [raws]
        out.append((frame, msgs, [r[0] for r in raws]))
    return out


def extract(pcap):
    ours = reassemble(pcap)
    theirs = tshark_messages(pcap)
    flat = []
    for frame, msgs, raws in theirs:
        if len(raws) != len(msgs):
            sys.exit("%s: frame %d: %d bgp layers, %d raw" % (pcap, frame, len(msgs), len(raws)))
        for m, r in zip(msgs, raws):
            flat.append((frame, m, r))
    if len(flat) != len(ours):
        sys.exit("%s: tshark decoded %d messages, reassembly found %d" % (pcap, len(flat), len(ours)))
    hex_lines, json_lines = [], []
    spanning = packed = 0
    opens = {}  # address -> capabilities of the last OPEN it sent
    per_frame = {}
    for o in ours:
        per_frame[o[0]] = per_frame.get(o[0], 0) + 1
    for i, ((frame, begun, src, dst, data), (tframe, m, raw)) in enumerate(zip(ours, flat)):
        h = data.hex()
        if frame != tframe or raw != h:
            sys.exit("%s: message %d (frame %d) differs from tshark's (frame %d)" % (pcap, i, frame, tframe))
        d = {"index": i, "frame": frame, "src": src, "dst": dst}
        if begun != frame:
            d["firstFrame"] = begun
            spanning += 1
        if per_frame[frame] > 1:
            packed += 1
        d.update(distill(m, raw))
        if d["type"] == "OPEN":
            opens[src] = d["capabilities"]
        elif d["type"] == "UPDATE":
            d["session"] = session(opens.get(src, []), opens.get(dst, []))
            check_add_path(pcap, d)
        hex_lines.append(h)
        json_lines.append(json.dumps(d, separators=(",", ":")))
    base = pcap[:-5] if pcap.endswith(".pcap") else pcap
    with open(base + ".hex", "w") as f:
        f.write("\n".join(hex_lines) + "\n")
    with open(base + ".tshark.jsonl", "w") as f:
        f.write("\n".join(json_lines) + "\n")
    counts = {}
    for line in json_lines:
        t = json.loads(line)["type"]
        counts[t] = counts.get(t, 0) + 1
    print("%s: %d messages %s; %d span several TCP segments, %d share their last segment with others"
          % (os.path.basename(pcap), len(hex_lines), json.dumps(counts), spanning, packed))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        extract(p)
