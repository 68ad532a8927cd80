// http-echo: the small HTTP server the tests deploy (nothing can be pulled here, so the workload image is ours).
//
// It answers every request with its hostname (the pod name), the request line and the caller's address, logs each
// request to stdout (what `kubectl logs` shows), and serves /healthz for probes. Two client commands let the tests
// look from inside a pod (the image has no shell): `http-echo get URL` prints what URL answers, and
// `http-echo resolve NAME` prints the addresses the pod's resolver (its /etc/resolv.conf, search domains included)
// finds. Standard library only; built static, FROM scratch.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

func get(url string) error {
	client := http.Client{Timeout: 5 * time.Second}
	response, err := client.Get(url)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	_, err = io.Copy(os.Stdout, response.Body)
	return err
}

func resolve(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addresses, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	for _, address := range addresses {
		fmt.Println(address)
	}
	return nil
}

func main() {
	if len(os.Args) == 3 && (os.Args[1] == "get" || os.Args[1] == "resolve") {
		command := map[string]func(string) error{"get": get, "resolve": resolve}[os.Args[1]]
		if err := command(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
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
		fmt.Fprintf(w, "%s\nhost %s\n%s %s\nfrom %s\n", *message, hostname, r.Method, r.URL.Path, r.RemoteAddr)
	})
	log.Printf("http-echo listening on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
