package proxy

import "strconv"

// Table is the nftables table (family ip) the dataplane owns. The VM
// network's table (inet vigil) is rebuilt by the network package at will;
// this one is separate so neither disturbs the other.
const Table = "vigil-services"

// Fixed names inside the table.
const (
	mapServices      = "service-ips"    // address . proto . port : goto svc chain
	mapFilter        = "service-filter" // address . proto . port : accept | goto reject
	chainFilterCheck = "service-filter-check"
	chainReject      = "reject-service"
	chainMarkMasq    = "mark-for-masquerade"
)

// masqMark is the packet mark bit that asks the postrouting chain to
// masquerade. It differs from kube-proxy's 0x4000, so both can share a host.
const masqMark = "0x00800000"

// svcChain is the chain of one Service port: "svc-NS/NAME/PROTO/PORT".
// Namespace and name are DNS labels (no '/'), so names never collide; nft
// accepts '/', '.', '-' and '_' in unquoted names.
func svcChain(s *Service, p *Port) string {
	return "svc-" + s.Namespace + "/" + s.Name + "/" + p.Protocol + "/" + p.portID()
}

// epChain is the chain of one endpoint of a Service port:
// "ep-NS/NAME/PROTO/PORT__IP/PORT". Its content depends only on its name.
func epChain(s *Service, p *Port, e Endpoint) string {
	return "ep-" + s.Namespace + "/" + s.Name + "/" + p.Protocol + "/" + p.portID() + "__" + e.IP.String() + "/" + itoa(int(e.Port))
}

func itoa(i int) string { return strconv.Itoa(i) }
