package oidcdev

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
)

func pemPKCS1(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}
