// Package natsconf loads the nats-server configurations under deploy/nats and
// builds the environment they read.
//
// The configurations are static files parameterised by environment variables
// (ports, nkeys, TLS files, passwords, the store directory, the hub's URL).
// It also makes what the leaf links need: nkeys (NewNkey) and a CA with the
// hub's and the members' certificates (LoadOrCreatePKI). Tests embed servers
// loaded from those very files with Load; the sandbox runs
// `nats-server -c <file>` as separate processes with the variables of
// HubEnv.Vars and MemberEnv.Vars. Either way the files deploy ships are the
// files that run.
package natsconf
