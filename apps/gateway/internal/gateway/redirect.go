package gateway

import (
	"net"
	"net/http"
	"strings"
)

// redirectHandler sends every request to the same host and URI over HTTPS
// with 308, so methods and bodies are preserved. Hosts that are not plain
// names or addresses get 400 rather than an attacker-chosen Location.
func redirectHandler(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(host, "/\\@?#% ") {
			http.Error(w, "bad host", http.StatusBadRequest)
			return
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if httpsPort != "443" && httpsPort != "" {
			host += ":" + httpsPort
		}
		uri := r.URL.RequestURI()
		if !strings.HasPrefix(uri, "/") {
			uri = "/"
		}
		http.Redirect(w, r, "https://"+host+uri, http.StatusPermanentRedirect)
	})
}
