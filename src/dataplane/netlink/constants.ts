// rtnetlink numbers used by the FIB layer (linux/netlink.h, linux/rtnetlink.h, linux/nexthop.h). Numbers only.

/** rackroute's own route protocol number; /etc/iproute2/rt_protos.d/rackroute.conf names it (scripts/setup.mjs). */
export const RTPROT_RACKROUTE = 199;

export const NETLINK_ROUTE = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

// nlmsghdr
export const NLMSG_HDRLEN = 16;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

// message types
export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEXTHOP = 104;
export const RTM_DELNEXTHOP = 105;
export const RTM_GETNEXTHOP = 106;

// struct rtmsg is 12 bytes: family, dst_len, src_len, tos, table, protocol, scope, type, flags(u32)
export const RTMSG_LEN = 12;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_MAIN = 254;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_NOWHERE = 255;

export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;

export const RTNH_F_DEAD = 1;
export const RTNH_F_ONLINK = 4;

// route attributes
export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
export const RTA_VIA = 18;
export const RTA_NH_ID = 30;

export const RTAX_MTU = 2;
export const RTAX_ADVMSS = 8;

// struct nhmsg is 8 bytes: family, scope, protocol, resvd, flags(u32)
export const NHMSG_LEN = 8;
export const NHA_ID = 1;
export const NHA_GROUP = 2;
export const NHA_OIF = 5;
export const NHA_GATEWAY = 6;

// struct ifinfomsg is 16 bytes
export const IFINFOMSG_LEN = 16;
export const IFLA_IFNAME = 3;

// multicast groups for route notifications
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV6_ROUTE = 11;
