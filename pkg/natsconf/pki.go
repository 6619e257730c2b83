package natsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nkeys"
)

// TLSFiles are the paths of a PEM certificate, its private key and the CA
// certificate that verifies the other side.
type TLSFiles struct {
	CA, Cert, Key string
}

// PKI is a corridor's leaf-link certificates: one CA, a server certificate
// for the hub's leaf listener and a client certificate per member.
type PKI struct {
	Hub     TLSFiles
	Members map[string]TLSFiles
}

// certValidity is how long generated certificates are valid. They are for
// tests and the sandbox; a real corridor's CA issues its own.
const certValidity = 5 * 365 * 24 * time.Hour

// LoadOrCreatePKI returns the leaf-link certificates under dir, creating a
// CA, a hub certificate for hubHosts (names or IP addresses) and a client
// certificate per member where files are missing. Private keys are written
// with mode 0600. The CA's key is kept beside it so that a member added
// later gets a certificate from the same CA.
func LoadOrCreatePKI(dir string, hubHosts, members []string) (PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return PKI{}, fmt.Errorf("create pki: %w", err)
	}
	ca := filepath.Join(dir, "ca.pem")
	caKey := filepath.Join(dir, "ca-key.pem")
	if err := ensureCert(ca, caKey, nil, nil, func(t *x509.Certificate) {
		t.Subject = pkix.Name{CommonName: "corridor NATS CA"}
		t.IsCA = true
		t.BasicConstraintsValid = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}); err != nil {
		return PKI{}, err
	}
	caCert, caSigner, err := loadPair(ca, caKey)
	if err != nil {
		return PKI{}, err
	}
	p := PKI{
		Hub:     TLSFiles{CA: ca, Cert: filepath.Join(dir, "hub.pem"), Key: filepath.Join(dir, "hub-key.pem")},
		Members: make(map[string]TLSFiles, len(members)),
	}
	if err := ensureCert(p.Hub.Cert, p.Hub.Key, caCert, caSigner, func(t *x509.Certificate) {
		t.Subject = pkix.Name{CommonName: "corridor hub"}
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hubHosts {
			if ip := net.ParseIP(h); ip != nil {
				t.IPAddresses = append(t.IPAddresses, ip)
			} else {
				t.DNSNames = append(t.DNSNames, h)
			}
		}
	}); err != nil {
		return PKI{}, err
	}
	for _, m := range members {
		if err := checkMember(m); err != nil {
			return PKI{}, err
		}
		f := TLSFiles{CA: ca, Cert: filepath.Join(dir, m+".pem"), Key: filepath.Join(dir, m+"-key.pem")}
		if err := ensureCert(f.Cert, f.Key, caCert, caSigner, func(t *x509.Certificate) {
			t.Subject = pkix.Name{CommonName: m + " leaf"}
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}); err != nil {
			return PKI{}, err
		}
		p.Members[m] = f
	}
	return p, nil
}

// ensureCert writes a new key and a certificate shaped by shape, signed by
// parent (self-signed when parent is nil), unless both files exist.
func ensureCert(certPath, keyPath string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, shape func(*x509.Certificate)) error {
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	if certErr == nil && keyErr == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("generate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	shape(tmpl)
	signer := key
	if parent == nil {
		parent = tmpl
	} else {
		signer = parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return fmt.Errorf("create certificate %s: %w", certPath, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	if err := writePEM(keyPath, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", der, 0o644)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", certPath, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", keyPath, err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("read %s: not PEM", certPath)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", certPath, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", keyPath, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("parse " + keyPath + ": not an ECDSA key")
	}
	return cert, key, nil
}

// Nkey is a user nkey: the seed stays with whoever authenticates, the public
// key goes into the server's configuration.
type Nkey struct {
	Seed, Public string
}

// NewNkey returns a fresh user nkey.
func NewNkey() (Nkey, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return Nkey{}, fmt.Errorf("create nkey: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return Nkey{}, fmt.Errorf("create nkey: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return Nkey{}, fmt.Errorf("create nkey: %w", err)
	}
	return Nkey{Seed: string(seed), Public: pub}, nil
}

// NkeyFromSeed returns the nkey of seed.
func NkeyFromSeed(seed string) (Nkey, error) {
	kp, err := nkeys.FromSeed([]byte(seed))
	if err != nil {
		return Nkey{}, fmt.Errorf("read nkey seed: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return Nkey{}, fmt.Errorf("read nkey seed: %w", err)
	}
	return Nkey{Seed: seed, Public: pub}, nil
}

// WriteSeedFile writes k's seed to path with mode 0600, replacing what is
// there: what a service or operator signs in with (streams.Connect reads
// it). The seed is the whole secret; the server knows the public key only.
func WriteSeedFile(path string, k Nkey) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write nkey seed: %w", err)
	}
	if err := os.WriteFile(path, []byte(k.Seed+"\n"), 0o600); err != nil {
		return fmt.Errorf("write nkey seed: %w", err)
	}
	// WriteFile keeps the mode of a file that already exists.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("write nkey seed: %w", err)
	}
	return nil
}
