// Pins the modules whose CustomResourceDefinitions the real control plane installs
// (nothing is compiled from here; see test/cluster/README.md).
module autoremediator.test/cluster/crds

go 1.26.0

require (
	github.com/cloudnative-pg/cloudnative-pg v1.28.1
	github.com/prometheus-operator/prometheus-operator v0.89.0
)
