// http-echo: the small HTTP server the tests deploy (nothing can be pulled here, so the workload image is ours).
//
// It answers every request with its hostname (the pod name) and the request line, logs each request to stdout
// (what `kubectl logs` shows), and serves /healthz for probes. Standard library only; built static, FROM scratch.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	listen := flag.String("listen", ":8080", "address to listen on")
	message := flag.String("message", "curtain http-echo", "first line of every answer")
	flag.Parse()
	hostname, _ := os.Hostname()
	log.SetOutput(os.Stdout)
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("request %s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "%s\nhost %s\n%s %s\n", *message, hostname, r.Method, r.URL.Path)
	})
	log.Printf("http-echo listening on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
