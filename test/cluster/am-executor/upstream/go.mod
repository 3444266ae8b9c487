module github.com/imgix/prometheus-am-executor

go 1.14

require (
	github.com/juju/testing v0.0.0-20200510222523-6c8c298c77a0
	github.com/prometheus/alertmanager v0.20.0
	github.com/prometheus/client_golang v1.6.0
	github.com/prometheus/client_model v0.2.0
	gopkg.in/yaml.v2 v2.2.5
)
