// Package natsrun is the sandbox's `nats` subcommand: the real nats-server,
// embedded at the version go.mod pins, run from the same command line
// (`-c deploy/nats/hub.conf`) and configuration files a deployment uses. The
// sandbox starts each NATS server as its own process through it, so the demo
// needs no separately installed nats-server.
package natsrun
