// Pins the modules whose CustomResourceDefinitions the real control plane installs
// (nothing is compiled from here; see test/cluster/README.md). The newest Argo CD, KEDA and
// kustomize-controller releases need Go 1.27; these are the newest whose go.mod accepts 1.26.
module autoremediator.test/cluster/crds

go 1.26.0

require (
	github.com/argoproj/argo-cd/v3 v3.5.8
	github.com/cloudnative-pg/cloudnative-pg v1.28.1
	github.com/fluxcd/helm-controller v1.6.0
	github.com/fluxcd/kustomize-controller v1.9.6
	github.com/kedacore/keda/v2 v2.20.2
	github.com/prometheus-operator/prometheus-operator v0.89.0
)
