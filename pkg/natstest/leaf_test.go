package natstest_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/natstest"
)

// TestLeafLinkNeedsTheMembersKeyAndCertificate starts a second server that
// dials the hub as CI, with parts of CI's credential. Only CI's leaf nkey,
// over TLS with a client certificate from the corridor's CA, gets in, and
// only while CI's own link is down: a password (the old scheme, where a
// second server with CI's password joined beside CI), another key, CI's key
// without a valid certificate, or all of CI's credential while CI is
// connected, do not.
func TestLeafLinkNeedsTheMembersKeyAndCertificate(t *testing.T) {
	t.Parallel()
	c := natstest.StartCorridor(t, "ci", "bf")
	hub := c.Hub
	stranger, err := natsconf.NewNkey()
	if err != nil {
		t.Fatal(err)
	}
	foreignPKI, err := natsconf.LoadOrCreatePKI(t.TempDir(), []string{natstest.Host}, []string{"ci"})
	if err != nil {
		t.Fatal(err)
	}
	ciTLS := hub.LeafTLS("ci")
	foreignTLS := foreignPKI.Members["ci"]
	for _, tc := range []struct {
		name string
		d    dialler
	}{
		{"ci's name and a password", dialler{password: "p0123456789abcdef", cert: &ciTLS}},
		{"another key with ci's certificate", dialler{seed: stranger.Seed, cert: &ciTLS}},
		{"ci's key without a certificate", dialler{seed: hub.LeafSeed("ci")}},
		{"ci's key with a certificate of another CA", dialler{seed: hub.LeafSeed("ci"), cert: &foreignTLS}},
		{"ci's key without TLS", dialler{seed: hub.LeafSeed("ci"), noTLS: true}},
		{"ci's key and certificate beside ci", dialler{seed: hub.LeafSeed("ci"), cert: &ciTLS}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.d.dial(t, hub, false) })
	}
	// The real links stayed up throughout.
	hub.WaitLeafNodes(t, 2)
	if t.Failed() {
		return
	}
	// Positive control: with CI's own server gone, its credential is
	// enough. The refusals above are the hub's, not a broken dialler.
	c.Members["ci"].Stop()
	hub.WaitLeafNodes(t, 1)
	t.Run("ci's key and certificate with ci gone", func(t *testing.T) {
		dialler{seed: hub.LeafSeed("ci"), cert: &ciTLS}.dial(t, hub, true)
	})
}

// dialler is a server that dials the hub's leaf listener as CI.
type dialler struct {
	seed     string             // signs in with this nkey, or
	password string             // with user "ci" and this password in the URL
	cert     *natsconf.TLSFiles // shows this client certificate
	noTLS    bool
}

// dial starts the server and waits until the hub accepts its link or
// refuses it, and fails t unless that is what accept says.
func (d dialler) dial(t *testing.T, hub *natstest.Hub, accept bool) {
	t.Helper()
	u, err := url.Parse(hub.LeafURL())
	if err != nil {
		t.Fatal(err)
	}
	if d.password != "" {
		u.User = url.UserPassword("ci", d.password)
	}
	remote := &server.RemoteLeafOpts{URLs: []*url.URL{u}, Nkey: d.seed}
	if !d.noTLS {
		remote.TLS = true
		remote.TLSConfig = leafClientTLS(t, hub.LeafTLS("ci").CA, d.cert)
		remote.TLSTimeout = 5
	}
	log := &leafLog{}
	srv, err := server.NewServer(&server.Options{
		ServerName: "second-ci", Host: natstest.Host, Port: -1, NoSigs: true,
		LeafNode: server.LeafNodeOpts{ReconnectInterval: 50 * time.Millisecond, Remotes: []*server.RemoteLeafOpts{remote}},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetLogger(log, false, false)
	go srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	if accept {
		natstest.WaitFor(t, 15*time.Second, "the leaf link is up", func() bool { return srv.NumLeafNodes() == 1 })
		if log.refused() {
			t.Errorf("the accepted link logged: %s", log)
		}
		return
	}
	natstest.WaitFor(t, 15*time.Second, "the hub refuses the leaf link", log.refused)
	if n := srv.NumLeafNodes(); n != 0 {
		t.Fatalf("accepted: %d leaf links; log: %s", n, log)
	}
}

// leafLog is a nats-server logger that keeps what tells a refused leaf
// link: the server's errors, and the closing of a leaf connection (a
// refused TLS handshake shows only as that).
type leafLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *leafLog) keep(format string, v []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, v...))
}

func (l *leafLog) Errorf(format string, v ...any) { l.keep(format, v) }
func (l *leafLog) Noticef(format string, v ...any) {
	if strings.Contains(format, "connection closed") {
		l.keep(format, v)
	}
}
func (l *leafLog) Warnf(string, ...any)  {}
func (l *leafLog) Fatalf(string, ...any) {}
func (l *leafLog) Debugf(string, ...any) {}
func (l *leafLog) Tracef(string, ...any) {}

// refused reports whether a leaf connection failed or was closed.
func (l *leafLog) refused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines) > 0
}

func (l *leafLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "; ")
}

// leafClientTLS trusts the corridor CA in caFile and shows cert, if any.
func leafClientTLS(t *testing.T, caFile string, cert *natsconf.TLSFiles) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in " + caFile)
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		pair, err := tls.LoadX509KeyPair(cert.Cert, cert.Key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}
