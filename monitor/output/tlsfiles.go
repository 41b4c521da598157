package output

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// clientTLS is a TLS 1.2+ client configuration from the PEM files a
// network sink's flags name: the server's CA (none: the system's) and a
// client certificate with its key.  flag names the flags in errors
// ("syslog": --syslog-ca, --syslog-cert, --syslog-key).
func clientTLS(flag, caFile, certFile, keyFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--%s-ca: %w", flag, err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--%s-ca %s: no PEM certificate in it", flag, caFile)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("--%s-cert and --%s-key go together", flag, flag)
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--%s-cert/--%s-key: %w", flag, flag, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
