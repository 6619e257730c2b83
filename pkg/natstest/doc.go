// Package natstest runs the corridor's NATS topology inside a test: a hub
// and member servers loaded from the very configuration files under
// deploy/nats (through natsconf), each with its own store directory and
// fresh credentials (nkeys with seed files, a CA of its own for the leaf links),
// shut down when the test ends.
//
//	c := natstest.StartCorridor(t, "ci", "bf")
//	c.EnsureStreams(t)
//	js := c.Members["ci"].JetStream(t, natsconf.UserRelay)
//
// Nothing is stubbed: the servers are real nats-server instances with
// JetStream, leaf links and the shipped accounts. Tests may run in parallel;
// each corridor uses its own ports.
package natstest
