package outbound

import (
	"net/netip"
	"strings"
)

// metadataAddrs are the instance metadata services of the clouds: they hand
// out credentials to whoever asks from inside the instance, so nothing ever
// reaches them, whatever AllowPrivate says.
var metadataAddrs = map[netip.Addr]string{
	netip.MustParseAddr("169.254.169.254"): "AWS, GCP, Azure, DigitalOcean, OpenStack",
	netip.MustParseAddr("169.254.169.253"): "AWS DNS",
	netip.MustParseAddr("169.254.170.2"):   "AWS ECS task metadata",
	netip.MustParseAddr("169.254.170.23"):  "AWS EKS pod identity",
	netip.MustParseAddr("100.100.100.200"): "Alibaba Cloud",
	netip.MustParseAddr("192.0.0.192"):     "Oracle Cloud",
	netip.MustParseAddr("fd00:ec2::254"):   "AWS over IPv6",
	netip.MustParseAddr("fd00:ec2::253"):   "AWS DNS over IPv6",
	netip.MustParseAddr("fd00:ec2::23"):    "AWS EKS pod identity over IPv6",
}

// metadataNames are the names those services answer to.
var metadataNames = []string{
	"metadata", "metadata.google.internal", "metadata.goog",
	"instance-data", "instance-data.ec2.internal", "metadata.azure.internal",
}

func isMetadataName(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, n := range metadataNames {
		if host == n {
			return true
		}
	}
	return false
}

// special are the ranges of the IANA special-purpose registries (RFC 6890;
// iana.org/assignments/iana-ipv4-special-registry and
// iana-ipv6-special-registry) that are not the public Internet, beyond what
// netip's predicates already name.
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("100::/64"), "a discard address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address"},
}

// Classify says why ip is not a public Internet address ("" when it is)
// and whether it is a cloud metadata address. IPv4 addresses embedded in
// IPv6 (mapped, NAT64, 6to4, compatible) are judged as the IPv4 address.
func Classify(ip netip.Addr) (reason string, metadata bool) {
	ip = ip.Unmap().WithZone("")
	if who, ok := metadataAddrs[ip]; ok {
		return "a cloud metadata address (" + who + ")", true
	}
	if v4, ok := embeddedV4(ip); ok {
		if r, meta := Classify(v4); r != "" {
			return r, meta
		}
		return "", false
	}
	switch {
	case !ip.IsValid():
		return "not an IP address", false
	case ip.IsUnspecified():
		return "an unspecified address", false
	case ip.IsLoopback():
		return "a loopback address", false
	case ip.Is6() && netip.MustParsePrefix("fc00::/7").Contains(ip):
		return "a unique-local address", false
	case ip.IsPrivate():
		return "a private address", false
	case ip.IsLinkLocalUnicast():
		return "a link-local address", false
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address", false
	}
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason, false
		}
	}
	return "", false
}

// embeddedV4 returns the IPv4 address inside NAT64 (64:ff9b::/96), 6to4
// (2002::/16) and IPv4-compatible (::/96) IPv6 addresses.
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case netip.MustParsePrefix("64:ff9b::/96").Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case netip.MustParsePrefix("2002::/16").Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case netip.MustParsePrefix("::/96").Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
		return netip.AddrFrom4([4]byte(b[12:16])), true
	}
	return netip.Addr{}, false
}
