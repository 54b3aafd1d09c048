package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// tlsRedis starts a redis-server that speaks TLS only, with a certificate
// for localhost signed by a CA of its own, and returns its port and the
// CA's PEM file.
func tlsRedis(t *testing.T) (int, string) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", "CERTIFICATE", caDER)
	certFile := write("cert.pem", "CERTIFICATE", der)
	keyFile := write("key.pem", "EC PRIVATE KEY", keyDER)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", "0", "--tls-port", strconv.Itoa(port),
		"--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "no",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server with TLS did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port, caFile
}

func TestRedissSpeaksVerifiedTLSForRueidisAndAsynq(t *testing.T) {
	port, caFile := tlsRedis(t)
	addr := "localhost:" + strconv.Itoa(port)
	load := func(env map[string]string) *Config {
		t.Helper()
		env["BACKCHANNEL_ENV"] = "development"
		env["DATA_DIR"] = t.TempDir()
		cfg, err := LoadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ping := func(cfg *Config) error {
		c, err := NewRedis(cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		return PingRedis(context.Background(), c)
	}
	cfg := load(map[string]string{"REDIS_URL": "rediss://" + addr + "/0", "REDIS_CA_FILE": caFile})
	if !cfg.RedisTLS {
		t.Fatal("rediss:// did not turn TLS on")
	}
	if err := ping(cfg); err != nil {
		t.Fatalf("rueidis over TLS: %v", err)
	}
	ac := asynq.NewClient(AsynqRedis(cfg))
	defer ac.Close()
	if err := ac.Ping(); err != nil {
		t.Fatalf("asynq over TLS: %v", err)
	}
	// The same server refuses plain connections, and a certificate nobody
	// vouches for is refused: the TLS is real and verified.
	if err := ping(load(map[string]string{"REDIS_URL": "redis://" + addr + "/0"})); err == nil {
		t.Fatal("redis:// reached a TLS-only server")
	}
	if err := ping(load(map[string]string{"REDIS_URL": "rediss://" + addr + "/0"})); err == nil {
		t.Fatal("a certificate signed by an unknown CA was accepted")
	}
	unverified := asynq.NewClient(AsynqRedis(load(map[string]string{"REDIS_URL": "rediss://" + addr + "/0"})))
	defer unverified.Close()
	if err := unverified.Ping(); err == nil {
		t.Fatal("asynq accepted a certificate signed by an unknown CA")
	}
}
